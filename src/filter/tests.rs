use super::*;

fn input<'a>(body: &'a [u8], headers: &'a HeaderMap, query: Option<&'a str>) -> Input<'a> {
    Input {
        body,
        headers,
        query,
        route: "links",
        event_id: Some("evt_1"),
    }
}

#[test]
fn the_issues_example_matches_what_it_says() {
    let f = Filter::compile(
        "body.event in ['link.clicked', 'install.tracked'] && body.data.campaign.startsWith('paid_')",
    )
    .unwrap();
    let h = HeaderMap::new();
    let yes = br#"{"event":"link.clicked","data":{"campaign":"paid_spring"}}"#;
    let other_event = br#"{"event":"link.created","data":{"campaign":"paid_spring"}}"#;
    let organic = br#"{"event":"install.tracked","data":{"campaign":"organic"}}"#;
    assert_eq!(f.matches(&input(yes, &h, None)), Ok(true));
    assert_eq!(f.matches(&input(other_event, &h, None)), Ok(false));
    assert_eq!(f.matches(&input(organic, &h, None)), Ok(false));
    // A body without the field: an error, which the caller counts as no match.
    assert!(f
        .matches(&input(br#"{"event":"link.clicked"}"#, &h, None))
        .is_err());
}

#[test]
fn headers_query_route_event_id_and_form_bodies_are_seen() {
    let mut h = HeaderMap::new();
    h.insert("x-event-type", "push".parse().unwrap());
    let f = Filter::compile(
        "headers['x-event-type'] == 'push' && query.tenant == 'a b' && route == 'links' && event_id == 'evt_1' && body.Kind == 'sms'",
    )
    .unwrap();
    assert_eq!(
        f.matches(&input(b"Kind=sms&To=%2B1", &h, Some("tenant=a+b"))),
        Ok(true)
    );
    assert_eq!(
        f.matches(&input(b"Kind=mms", &h, Some("tenant=a+b"))),
        Ok(false)
    );
}

#[test]
fn macros_bind_their_own_names() {
    let f = Filter::compile("body.items.exists(i, i.sku == 'A1')").unwrap();
    let h = HeaderMap::new();
    assert_eq!(
        f.matches(&input(br#"{"items":[{"sku":"B"},{"sku":"A1"}]}"#, &h, None)),
        Ok(true)
    );
}

#[test]
fn a_macro_name_used_outside_its_macro_is_unknown() {
    for (src, at) in [
        ("body.items.exists(i, i.sku == 'A1') && i == 1", (1, 40)),
        ("[1].all(x, x > 0) ||\n body.a.map(y, y + x) == []", (2, 20)),
    ] {
        let e = Filter::compile(src).unwrap_err();
        assert!(e.message.contains("unknown name"), "{src}: {e}");
        assert_eq!((e.line, e.column), at, "{src}: {e}");
    }
    // Nested: the inner macro sees the outer one's name.
    Filter::compile("body.a.all(x, x.b.exists(y, y == x.c))").unwrap();
}

#[test]
fn bad_expressions_are_refused_with_their_position() {
    let e = Filter::compile("body.event ==").unwrap_err();
    assert_eq!(e.line, 1, "{e}");
    assert!(e.column >= 1, "{e}");
    let e = Filter::compile("body.a == 1 &&\n  bdy.b == 2").unwrap_err();
    assert_eq!((e.line, e.column), (2, 3), "{e}");
    assert!(e.message.contains("bdy"), "{e}");
}

#[test]
fn a_non_boolean_result_is_an_error() {
    let f = Filter::compile("body.n").unwrap();
    let h = HeaderMap::new();
    assert!(f.matches(&input(br#"{"n":1}"#, &h, None)).is_err());
}

#[test]
fn one_scope_serves_expressions_that_read_different_variables() {
    let on_body = Filter::compile("body.event == 'push'").unwrap();
    let on_headers = Filter::compile("headers['x-kind'] == 'a'").unwrap();
    let on_query = Filter::compile("query.t == '1'").unwrap();
    let mut h = HeaderMap::new();
    h.insert("x-kind", "a".parse().unwrap());
    let i = input(br#"{"event":"push"}"#, &h, Some("t=1"));
    let scope = Scope::new(&i, [&on_body, &on_headers]);
    assert_eq!(on_body.matches_in(&scope), Ok(true));
    assert_eq!(on_headers.matches_in(&scope), Ok(true));
    // Only what the scope's expressions read is built: `query` is not there.
    assert!(on_query.matches_in(&scope).is_err());
    assert_eq!(on_query.matches(&i), Ok(true));
}

#[test]
fn unknown_functions_are_refused_and_type_names_are_known() {
    let e = Filter::compile("body.a == 1 &&\n  body.event.startswit('x')").unwrap_err();
    assert_eq!((e.line, e.column), (2, 14), "{e}");
    assert!(e.message.contains("unknown function \"startswit\""), "{e}");
    let e = Filter::compile("foo(body) == 1").unwrap_err();
    assert!(e.message.contains("unknown function \"foo\""), "{e}");
    // Built without chrono: refused at load rather than failing every delivery.
    assert!(Filter::compile("timestamp(body.at) > timestamp('2026-01-01T00:00:00Z')").is_err());
    for ok in [
        "type(body.a) == string && size(body.b) > 0",
        "body.event.startsWith('a') || body.event.matches('^b') || int(query.n) > 3",
        "type(event_id) == null_type || event_id.contains('x')",
    ] {
        Filter::compile(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

#[test]
fn json_integers_are_ints_so_arithmetic_with_literals_works() {
    let h = HeaderMap::new();
    let body = br#"{"amount":6,"debt":-3,"price":6.5,"big":18446744073709551615,"items":[1,2]}"#;
    for expr in [
        "body.amount + 1 == 7",
        "body.amount * 100 > 500",
        "body.amount - 10 < 0",
        "body.debt + 1 == -2",
        "body.price > 6.0 && body.price == 6.5",
        "body.amount == 6 && body.amount in [1, 6] && body.amount == 6.0",
        "body.items[body.amount - 5] == 2",
        "body.items.exists(i, i * 2 == 4)",
        // Past int's range a number stays a uint rather than being lost.
        "body.big == 18446744073709551615u",
    ] {
        let f = Filter::compile(expr).unwrap();
        assert_eq!(f.matches(&input(body, &h, None)), Ok(true), "{expr}");
    }
    // Overflow and division by zero are errors (no match), never a panic.
    for expr in [
        "body.amount / (body.amount - 6) > 0",
        "body.debt * 9223372036854775807 > 0",
    ] {
        let f = Filter::compile(expr).unwrap();
        assert!(f.matches(&input(body, &h, None)).is_err(), "{expr}");
    }
}

//! Route filters on what a sender controls: the body (JSON or a form), the headers and the
//! query, under a fixed set of expressions of the kinds operators write (the expression is
//! config, not the sender's). No panic, no hang, and the same input gives the same verdict.
//!
//! Input: a first byte choosing the expression, then `query\n`, then `name: value` header
//! lines, an empty line, and the body.

#![no_main]

use std::sync::OnceLock;

use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

use hookgate::filter::{Filter, Input, Scope};

const EXPRESSIONS: [&str; 8] = [
    "body.event in ['link.clicked', 'install.tracked'] && body.data.campaign.startsWith('paid_')",
    "has(body.data) && body.data.items.exists(i, i.sku == 'A1' && i.qty > 1)",
    "headers['x-event-type'] == 'push' || query.tenant.matches('^t[0-9]+$')",
    "size(body) > 2 && type(body.id) == string && body.id.endsWith('x')",
    "body.items.map(i, i.price * 2).filter(p, p > 10).size() >= 1",
    "body.Kind == 'sms' && int(body.Count) + 1 > 2",
    "route == 'links' && (event_id == null || event_id.contains('evt'))",
    "body.a.b.c.d == 1.5 || body.list[3] == true || body['k'] != 'v'",
];

fn filters() -> &'static Vec<Filter> {
    static FILTERS: OnceLock<Vec<Filter>> = OnceLock::new();
    FILTERS.get_or_init(|| {
        EXPRESSIONS
            .iter()
            .map(|e| Filter::compile(e).expect("the target's expressions compile"))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (rest, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let query = lines.next().and_then(|q| std::str::from_utf8(q).ok());
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    let input = Input {
        body,
        headers: &headers,
        query,
        route: "links",
        event_id: Some("evt_1"),
    };
    let all = filters();
    let chosen = &all[usize::from(pick) % all.len()];
    let alone = chosen.matches(&input);
    // The gate's way: one scope for every expression of a route.
    let scope = Scope::new(&input, all.iter());
    assert_eq!(alone, chosen.matches_in(&scope));
});

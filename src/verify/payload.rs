//! The signed bytes: a scheme's payload template filled in from a request, borrowing the body
//! and headers wherever possible (the body is never copied).

use std::borrow::Cow;

use super::{Message, Piece, Scheme, SignatureFormat, VerifyError};

/// Each piece of `scheme.payload`, in order. `ts` and `id` are the raw texts the sender wrote;
/// `sig` is the signature header's value (or the group of it being verified), where
/// `{param:NAME}` pieces are read.
pub(crate) fn pieces<'a>(
    scheme: &'a Scheme,
    msg: &'a Message<'a>,
    ts: Option<&'a str>,
    id: Option<&'a str>,
    sig: Option<&str>,
) -> Result<Vec<Cow<'a, [u8]>>, VerifyError> {
    let mut out = Vec::with_capacity(scheme.payload.len());
    for piece in &scheme.payload {
        let bytes: Cow<'a, [u8]> = match piece {
            Piece::Literal(b) => Cow::Borrowed(b),
            Piece::Body if scheme.decode_gzip => signed_body(msg)?,
            Piece::Body => Cow::Borrowed(msg.body),
            Piece::Timestamp => Cow::Borrowed(
                ts.ok_or_else(|| VerifyError::InvalidTimestamp("no timestamp".into()))?
                    .as_bytes(),
            ),
            Piece::Id => Cow::Borrowed(
                id.ok_or_else(|| VerifyError::MissingId("id".into()))?
                    .as_bytes(),
            ),
            Piece::Method => Cow::Borrowed(msg.method.as_str().as_bytes()),
            Piece::Url => Cow::Owned(
                msg.url()
                    .ok_or(VerifyError::MalformedSignature("route has no public_url"))?
                    .into_bytes(),
            ),
            Piece::PathAndQuery => Cow::Borrowed(
                msg.uri
                    .path_and_query()
                    .map_or("/", |pq| pq.as_str())
                    .as_bytes(),
            ),
            Piece::ContentfulPath => Cow::Owned(contentful_path(
                msg.uri.path_and_query().map_or("/", |pq| pq.as_str()),
            )),
            Piece::Header(name) => Cow::Borrowed(
                msg.header(name)
                    .ok_or_else(|| VerifyError::MissingId(name.to_string()))?
                    .as_bytes(),
            ),
            Piece::Json(ptr) => match msg.json_scalar(ptr) {
                Some(found) => Cow::Owned(found.into_text().into_bytes()),
                None => return Err(VerifyError::MissingId(format!("JSON field {ptr}"))),
            },
            Piece::JsonOrEmpty(ptr) => Cow::Owned(
                msg.json_scalar(ptr)
                    .map(|found| found.into_text().into_bytes())
                    .unwrap_or_default(),
            ),
            Piece::FormParams => Cow::Owned(form_params(scheme, msg)),
            Piece::SignedHeaders(list) => Cow::Owned(signed_headers(list, msg)?),
            // A body that is not UTF-8 was not sent by a JavaScript sender (whose body is a
            // string), so it was changed on the way. Decoding it lossily, as JavaScript would,
            // could make two bodies sign the same; it is refused as a mismatch instead.
            Piece::BodyJsonString => Cow::Owned(
                json_string(msg.body)
                    .ok_or(VerifyError::Mismatch)?
                    .into_bytes(),
            ),
            Piece::Param(name) => Cow::Owned(
                sig.and_then(|v| signature_param(scheme, v, name))
                    .ok_or_else(|| {
                        VerifyError::MissingId(format!("the signature header's `{name}=`"))
                    })?
                    .as_bytes()
                    .to_vec(),
            ),
        };
        out.push(bytes);
    }
    Ok(out)
}

/// The most bytes a gzip-encoded body may decode to (`Scheme::decode_gzip`). Fixed rather
/// than the route's `max_body`, which verification does not see: a few megabytes is far above
/// an Airship batch (1,000 small objects), and a gzip bomb (10 MB of zeros is 10 KB of gzip)
/// is refused before it holds more than this in memory.
pub(crate) const MAX_DECODED_BODY: usize = 8 * 1024 * 1024;

/// The signed body of a `decode_gzip` scheme: the body as received without `Content-Encoding`
/// (or with `identity`), gzip-decoded with `gzip` (or `x-gzip`, RFC 9110's alias). The header
/// is read through `Message::header`, so differing copies of it are refused like those of any
/// header verification reads.
fn signed_body<'a>(msg: &Message<'a>) -> Result<Cow<'a, [u8]>, VerifyError> {
    let Some(value) = msg.header(&http::header::CONTENT_ENCODING) else {
        return Ok(Cow::Borrowed(msg.body));
    };
    let value = value
        .to_str()
        .map_err(|_| VerifyError::BodyEncoding("the Content-Encoding header is not text"))?
        .trim();
    if value.eq_ignore_ascii_case("gzip") || value.eq_ignore_ascii_case("x-gzip") {
        gunzip(msg.body, MAX_DECODED_BODY).map(Cow::Owned)
    } else if value.is_empty() || value.eq_ignore_ascii_case("identity") {
        Ok(Cow::Borrowed(msg.body))
    } else {
        // `br`, `deflate`, a list of codings: not what this scheme's sender sends.
        Err(VerifyError::BodyEncoding(
            "this route decodes only Content-Encoding: gzip",
        ))
    }
}

/// `body` gzip-decoded (every member, as HTTP clients and Python's `gzip.decompress` read
/// it), refused when corrupt or when it decodes to more than `limit` bytes. The output never
/// holds more than `limit` bytes: it is read in chunks and its capacity grown only up to
/// `limit`, so a bomb costs at most `limit` of memory whatever it would inflate to.
pub(crate) fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, VerifyError> {
    use std::io::Read as _;
    let mut decoder = flate2::read::MultiGzDecoder::new(body);
    let mut out: Vec<u8> = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match decoder.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(VerifyError::BodyEncoding("the body is not valid gzip")),
        };
        let want = out.len() + n;
        if want > limit {
            return Err(VerifyError::BodyEncoding(
                "the body decodes to more than hookgate accepts (8 MiB)",
            ));
        }
        if want > out.capacity() {
            let grown = out.capacity().saturating_mul(2).max(want).min(limit);
            out.reserve_exact(grown - out.len());
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

/// The value of parameter `name` in a `Params` signature header value, trimmed; `None` when
/// absent or empty, or when the scheme's signature header is not `k=v` pairs.
pub(crate) fn signature_param<'v>(scheme: &Scheme, value: &'v str, name: &str) -> Option<&'v str> {
    let SignatureFormat::Params { pair_separator, .. } = &scheme.format else {
        return None;
    };
    value
        .split(*pair_separator)
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// `body` as a JSON string literal, quotes included, escaped exactly as JavaScript's
/// `JSON.stringify(string)` does (ECMA-262 `QuoteJSONString`): `"` and `\` escaped, backspace,
/// form feed, newline, carriage return and tab by their short forms, other code points below
/// U+0020 as `\u00xx` (lower-case hex), everything else (U+2028, U+2029, DEL, `<`, `&`
/// included) as it is. `None` when the body is not UTF-8: a JavaScript sender's body string
/// always is.
pub(crate) fn json_string(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    Some(out)
}

/// Twilio: every form parameter, sorted by name then value, as `name` + `value`. When the URL
/// carries the body's hash instead (JSON bodies), the body is covered by that and no
/// parameters are signed.
fn form_params(scheme: &Scheme, msg: &Message<'_>) -> Vec<u8> {
    let hashed = scheme.body_sha256_query.as_deref().is_some_and(|param| {
        msg.uri
            .query()
            .is_some_and(|q| q.split('&').any(|kv| kv.split('=').next() == Some(param)))
    });
    if hashed {
        return Vec::new();
    }
    canonical_form(msg.body)
}

/// Twilio's signed form bytes: every parameter, decoded, sorted by name then value, each
/// distinct pair once, as `name` + `value` with no separators. Different encodings of the same
/// parameters (reordered, `%41` for `A`) give the same bytes.
pub fn canonical_form(body: &[u8]) -> Vec<u8> {
    let mut pairs: Vec<(String, String)> = body
        .split(|&b| b == b'&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = match kv.iter().position(|&b| b == b'=') {
                Some(i) => (&kv[..i], &kv[i + 1..]),
                None => (kv, &b""[..]),
            };
            (form_decode(k), form_decode(v))
        })
        .collect();
    pairs.sort();
    // Twilio's validators sign each distinct value once.
    pairs.dedup();
    let mut out = Vec::new();
    for (k, v) in pairs {
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(v.as_bytes());
    }
    out
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
pub(crate) fn form_decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Contentful's toolkit (`getNormalizedEncodedURI` in `@contentful/node-apps-toolkit`): split
/// at `?` (text after a second `?` is dropped, as JS `split('?')` destructuring does), escape the
/// query with `querystring.escape`, then `encodeURI` the whole. So `?a=1` signs as `?a%253D1`,
/// and an escape already on the wire is escaped again (`%20` → `%2520`).
fn contentful_path(path_and_query: &str) -> Vec<u8> {
    // Bytes `encodeURI` / `querystring.escape` leave as they are.
    fn keep_uri(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b";,/?:@&=+$-_.!~*'()#".contains(&b)
    }
    fn keep_qs(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b)
    }
    fn escape(bytes: &[u8], keep: fn(u8) -> bool, out: &mut Vec<u8>) {
        for &b in bytes {
            if keep(b) {
                out.push(b);
            } else {
                out.extend_from_slice(format!("%{b:02X}").as_bytes());
            }
        }
    }
    let mut parts = path_and_query.split('?');
    let path = parts.next().unwrap_or_default();
    let query = parts.next().unwrap_or_default();
    let mut out = Vec::with_capacity(path_and_query.len() * 2);
    escape(path.as_bytes(), keep_uri, &mut out);
    if !query.is_empty() {
        let mut escaped = Vec::with_capacity(query.len() * 3);
        escape(query.as_bytes(), keep_qs, &mut escaped);
        out.push(b'?');
        escape(&escaped, keep_uri, &mut out);
    }
    out
}

/// Contentful: the headers named in `list`, sorted by name, as `name:value` joined by `;`.
fn signed_headers(list: &http::HeaderName, msg: &Message<'_>) -> Result<Vec<u8>, VerifyError> {
    let names = msg
        .header(list)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| VerifyError::MissingId(list.to_string()))?;
    let mut names: Vec<String> = names
        .split(',')
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let value = http::HeaderName::from_bytes(name.as_bytes())
            .ok()
            .and_then(|h| msg.header(&h))
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| VerifyError::MissingId(name.clone()))?;
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value.trim().as_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contentful_path_matches_the_toolkit() {
        // Expected values from node: encodeURI(`${p}?${querystring.escape(q)}`).
        let cases: &[(&str, &str)] = &[
            ("/contentful/webhook", "/contentful/webhook"),
            ("/hook?", "/hook"),
            ("/a%20b/c", "/a%2520b/c"),
            (
                "/contentful/webhook?env=master&source=cf%20webhooks&tags=a,b",
                "/contentful/webhook?env%253Dmaster%2526source%253Dcf%252520webhooks%2526tags%253Da%252Cb",
            ),
            ("/p?a=1?b=2", "/p?a%253D1"),
            ("/p?x=(1)*!~'", "/p?x%253D(1)*!~'"),
        ];
        for (raw, want) in cases {
            assert_eq!(
                String::from_utf8(contentful_path(raw)).unwrap(),
                *want,
                "{raw}"
            );
        }
    }

    #[test]
    fn json_string_matches_json_stringify() {
        // Expected values from node 22: JSON.stringify(s).
        let cases: &[(&str, &str)] = &[
            ("", r#""""#),
            (r#"{"a":"b"}"#, r#""{\"a\":\"b\"}""#),
            ("back\\slash /", r#""back\\slash /""#),
            ("\u{8}\u{c}\n\r\t", r#""\b\f\n\r\t""#),
            ("\u{0}\u{1}\u{1f}\u{b}", r#""\u0000\u0001\u001f\u000b""#),
            (
                "\u{7f} \u{2028}\u{2029} <&> é ✓ 🚀",
                "\"\u{7f} \u{2028}\u{2029} <&> é ✓ 🚀\"",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(json_string(raw.as_bytes()).unwrap(), *want, "{raw:?}");
        }
        assert_eq!(json_string(b"\xff"), None);
    }

    #[test]
    fn signature_params_are_read_by_name() {
        let scheme = Scheme {
            format: SignatureFormat::Params {
                pair_separator: ',',
                signature_key: "sign".into(),
            },
            ..Scheme::default()
        };
        let v = "sign=ab+c/d==, env=master, t=1764000000000";
        assert_eq!(signature_param(&scheme, v, "env"), Some("master"));
        assert_eq!(signature_param(&scheme, v, "sign"), Some("ab+c/d=="));
        assert_eq!(signature_param(&scheme, v, "nope"), None);
        assert_eq!(signature_param(&scheme, "env=", "env"), None);
        assert_eq!(signature_param(&Scheme::default(), v, "env"), None);
    }

    #[test]
    fn sign_with_fills_header_and_param_pieces() {
        use crate::secret::Secret;
        use crate::verify::{presets, sign_with, verify, Freshness, Key, SignInput};
        use std::time::{Duration, UNIX_EPOCH};

        let method = http::Method::POST;
        let uri: http::Uri = "/hook".parse().unwrap();
        let fresh = Freshness {
            max_age: Duration::from_secs(300),
            max_future_skew: Duration::from_secs(60),
        };
        // Pinwheel's published test vector: key TEST_KEY, x-timestamp 860860860.
        let p = presets::lookup("pinwheel").unwrap();
        let k = Key::new("k".into(), &Secret::new("TEST_KEY"), &p.scheme).unwrap();
        let body = b"{\n    \"coordinates\": [41.0555388, -73.8679639],\n    \"location\": \"Lyndhurst Mansion, South Broadway, Tarrytown, NY\",\n    \"type\": {\n        \"common_name\": \"American sycamore\",\n        \"genus\": \"platanus\",\n        \"species\": \"occidentalis\"\n    }\n}";
        let input = SignInput {
            body,
            method: &method,
            uri: &uri,
            public_url: None,
            now: UNIX_EPOCH + Duration::from_secs(1_764_000_000),
            id: None,
        };
        let given = [("X-Timestamp".to_owned(), "860860860".to_owned())];
        let out = sign_with(&p.scheme, &k, &input, &given).unwrap();
        let get = |n: &str| out.iter().find(|(h, _)| h == n).map(|(_, v)| v.as_str());
        assert_eq!(get("x-timestamp"), Some("860860860"));
        assert_eq!(
            get("x-pinwheel-signature"),
            Some("v2=42fb9eba200e821d4de63667f5a30f7e1b83609b135e148e26ce01eef2aa6ba8")
        );

        // Hygraph: the environment given is sent as `env=` and signed.
        let p = presets::lookup("hygraph").unwrap();
        let k = Key::new("k".into(), &Secret::new("hygraph-secret"), &p.scheme).unwrap();
        let given = [("env".to_owned(), "staging".to_owned())];
        let out = sign_with(&p.scheme, &k, &input, &given).unwrap();
        let mut map = http::HeaderMap::new();
        for (n, v) in &out {
            map.insert(n.clone(), http::HeaderValue::from_str(v).unwrap());
        }
        let sig = map["gcms-signature"].to_str().unwrap();
        assert!(
            sig.contains("env=staging") && sig.contains("t=1764000000000"),
            "{sig}"
        );
        let msg = Message::new(&method, &uri, &map, body, None);
        assert!(verify(&p.scheme, std::slice::from_ref(&k), &msg, fresh, input.now).is_ok());
        // Another environment in the header breaks the signature.
        let forged = sig.replace("env=staging", "env=master");
        map.insert(
            "gcms-signature",
            http::HeaderValue::from_str(&forged).unwrap(),
        );
        let msg = Message::new(&method, &uri, &map, body, None);
        assert_eq!(
            verify(&p.scheme, &[k], &msg, fresh, input.now).unwrap_err(),
            VerifyError::Mismatch
        );
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gunzip_limits_the_decoded_size() {
        let data = vec![b'a'; 1000];
        let gz = gzip(&data);
        assert_eq!(gunzip(&gz, 1000).unwrap(), data);
        assert!(matches!(
            gunzip(&gz, 999),
            Err(VerifyError::BodyEncoding(_))
        ));
        // Several members decode as one body, as HTTP clients read them.
        let mut two = gzip(b"ab");
        two.extend_from_slice(&gzip(b"cd"));
        assert_eq!(gunzip(&two, 10).unwrap(), b"abcd");
    }

    #[test]
    fn gzip_bomb_is_refused_at_the_limit() {
        // 10 MB of zeros is about 10 KB of gzip; it must be refused, having held at most
        // MAX_DECODED_BODY (the output's capacity never grows past the limit).
        let bomb = gzip(&vec![0u8; 10_000_000]);
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        const { assert!(MAX_DECODED_BODY < 10_000_000) };
        assert_eq!(
            gunzip(&bomb, MAX_DECODED_BODY),
            Err(VerifyError::BodyEncoding(
                "the body decodes to more than hookgate accepts (8 MiB)"
            ))
        );
    }

    #[test]
    fn corrupt_gzip_is_refused() {
        let mut gz = gzip(br#"{"values":[]}"#);
        let n = gz.len();
        gz[n - 6] ^= 0x01; // the CRC
        assert_eq!(
            gunzip(&gz, 1 << 20),
            Err(VerifyError::BodyEncoding("the body is not valid gzip"))
        );
        assert!(gunzip(b"not gzip at all", 1 << 20).is_err());
        let good = gzip(b"{}");
        assert!(
            gunzip(&good[..good.len() - 3], 1 << 20).is_err(),
            "truncated"
        );
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"junk");
        assert!(gunzip(&trailing, 1 << 20).is_err(), "trailing bytes");
    }

    #[test]
    fn decode_gzip_reads_content_encoding() {
        let scheme = Scheme {
            payload: vec![Piece::Body],
            decode_gzip: true,
            ..Scheme::default()
        };
        let method = http::Method::POST;
        let uri: http::Uri = "/hook".parse().unwrap();
        let json = br#"{"values":[1]}"#;
        let gz = gzip(json);
        let run = |enc: Option<&str>, body: &[u8]| {
            let mut map = http::HeaderMap::new();
            if let Some(e) = enc {
                map.insert(
                    http::header::CONTENT_ENCODING,
                    http::HeaderValue::from_str(e).unwrap(),
                );
            }
            let msg = Message::new(&method, &uri, &map, body, None);
            let out = pieces(&scheme, &msg, None, None, None).map(|p| p.concat());
            // The header is noted as read, so differing copies of it are refused.
            assert!(msg.headers_read().contains(&http::header::CONTENT_ENCODING));
            out
        };
        assert_eq!(run(Some("gzip"), &gz).unwrap(), json);
        assert_eq!(run(Some(" X-GZIP "), &gz).unwrap(), json);
        // No Content-Encoding, or identity: the bytes as received.
        assert_eq!(run(None, json).unwrap(), json);
        assert_eq!(run(Some("identity"), json).unwrap(), json);
        for other in ["br", "deflate", "gzip, br", "compress"] {
            assert_eq!(
                run(Some(other), &gz),
                Err(VerifyError::BodyEncoding(
                    "this route decodes only Content-Encoding: gzip"
                )),
                "{other}"
            );
        }
        assert!(matches!(
            run(Some("gzip"), json),
            Err(VerifyError::BodyEncoding(_))
        ));
        // Without decode_gzip, the body is signed as received even when gzip-encoded.
        let raw = Scheme {
            decode_gzip: false,
            ..scheme.clone()
        };
        let mut map = http::HeaderMap::new();
        map.insert(
            http::header::CONTENT_ENCODING,
            http::HeaderValue::from_static("gzip"),
        );
        let msg = Message::new(&method, &uri, &map, &gz, None);
        assert_eq!(pieces(&raw, &msg, None, None, None).unwrap().concat(), gz);
    }

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode(b"a+b%20c%2Bd%"), "a b c+d%");
        assert_eq!(form_decode(b"%zz%4"), "%zz%4");
        assert_eq!(form_decode(b"caf%C3%A9"), "café");
    }
}

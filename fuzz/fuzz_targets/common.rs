//! The input shape of the `verify` target, shared by the seed generator's format: lines of
//! `preset`, `secret`, `now` (unix seconds), `METHOD path?query`, then `Name: value` headers,
//! an empty line, and the body (any bytes).

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

pub struct Case<'a> {
    pub preset: &'a str,
    pub secret: &'a [u8],
    pub now: u64,
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: &'a [u8],
}

fn line<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let i = rest.iter().position(|&b| b == b'\n')?;
    let (l, r) = rest.split_at(i);
    *rest = &r[1..];
    Some(l.strip_suffix(b"\r").unwrap_or(l))
}

pub fn parse(data: &[u8]) -> Option<Case<'_>> {
    let mut rest = data;
    let preset = std::str::from_utf8(line(&mut rest)?).ok()?;
    let secret = line(&mut rest)?;
    let now = std::str::from_utf8(line(&mut rest)?).ok()?.parse().ok()?;
    let request = std::str::from_utf8(line(&mut rest)?).ok()?;
    let (method, target) = request.split_once(' ')?;
    let method = Method::from_bytes(method.as_bytes()).ok()?;
    let uri = target.parse().ok()?;
    let mut headers = HeaderMap::new();
    loop {
        let l = line(&mut rest)?;
        if l.is_empty() {
            break;
        }
        let i = l.iter().position(|&b| b == b':')?;
        let name = HeaderName::from_bytes(&l[..i]).ok()?;
        let value = HeaderValue::from_bytes(l[i + 1..].trim_ascii()).ok()?;
        headers.append(name, value);
    }
    Some(Case {
        preset,
        secret,
        now,
        method,
        uri,
        headers,
        body: rest,
    })
}

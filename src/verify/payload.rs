//! The signed bytes: a scheme's payload template filled in from a request, borrowing the body
//! and headers wherever possible (the body is never copied).

use std::borrow::Cow;

use super::{Message, Piece, Scheme, VerifyError};

/// Each piece of `scheme.payload`, in order. `ts` and `id` are the raw texts the sender wrote.
pub(crate) fn pieces<'a>(
    scheme: &'a Scheme,
    msg: &'a Message<'a>,
    ts: Option<&'a str>,
    id: Option<&'a str>,
) -> Result<Vec<Cow<'a, [u8]>>, VerifyError> {
    let mut out = Vec::with_capacity(scheme.payload.len());
    for piece in &scheme.payload {
        let bytes: Cow<'a, [u8]> = match piece {
            Piece::Literal(b) => Cow::Borrowed(b),
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
        };
        out.push(bytes);
    }
    Ok(out)
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
    fn form_decoding() {
        assert_eq!(form_decode(b"a+b%20c%2Bd%"), "a b c+d%");
        assert_eq!(form_decode(b"%zz%4"), "%zz%4");
        assert_eq!(form_decode(b"caf%C3%A9"), "café");
    }
}

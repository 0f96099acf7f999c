//! Which settings differ between two configs' restart-only halves, named as the file names
//! them (`listen`, `upstream.timeout`, `dedup.redis`), so a reload can say what it set aside.
//!
//! The names come from the types' serialized form, which mirrors the file: a key added to
//! `Startup` is covered without a list to keep in step. Keys are named down to the second
//! level (`dedup.redis` for any of the connection's settings), and never with their values
//! (a secret serializes as a per-process fingerprint, and only equality is looked at).

use serde::Serialize;
use serde_json::Value;

/// How deep keys are named; below it, a difference is reported at this level.
const DEPTH: usize = 2;

/// The keys whose values differ between `running` and `new`, in sorted order. Empty when
/// either cannot be serialized (it never fails for the config's types).
pub fn changed_keys<T: Serialize>(running: &T, new: &T) -> Vec<String> {
    let (Ok(a), Ok(b)) = (serde_json::to_value(running), serde_json::to_value(new)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(&a, &b, "", 0, &mut out);
    out
}

fn walk(a: &Value, b: &Value, path: &str, depth: usize, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if depth < DEPTH => {
            // serde_json's maps are sorted, so the keys come out in a stable order.
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                let missing = Value::Null;
                walk(
                    x.get(k).unwrap_or(&missing),
                    y.get(k).unwrap_or(&missing),
                    &sub,
                    depth + 1,
                    out,
                );
            }
        }
        _ if a != b => out.push(path.to_owned()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Outer {
        a: u32,
        inner: Inner,
        opt: Option<Inner>,
    }

    #[derive(Serialize)]
    struct Inner {
        x: u32,
        deep: Deep,
    }

    #[derive(Serialize)]
    struct Deep {
        y: u32,
    }

    fn outer(a: u32, x: u32, y: u32, opt: Option<u32>) -> Outer {
        Outer {
            a,
            inner: Inner {
                x,
                deep: Deep { y },
            },
            opt: opt.map(|y| Inner {
                x: 0,
                deep: Deep { y },
            }),
        }
    }

    #[test]
    fn names_keys_down_to_the_second_level() {
        let base = outer(1, 2, 3, None);
        assert!(changed_keys(&base, &outer(1, 2, 3, None)).is_empty());
        assert_eq!(changed_keys(&base, &outer(9, 2, 3, None)), ["a"]);
        assert_eq!(changed_keys(&base, &outer(1, 9, 3, None)), ["inner.x"]);
        // Deeper than two levels: named by its second-level key.
        assert_eq!(changed_keys(&base, &outer(1, 2, 9, None)), ["inner.deep"]);
        // An option appearing is its own key.
        assert_eq!(changed_keys(&base, &outer(1, 2, 3, Some(1))), ["opt"]);
        assert_eq!(
            changed_keys(&outer(1, 2, 3, Some(1)), &outer(1, 2, 3, Some(2))),
            ["opt.deep"]
        );
        assert_eq!(
            changed_keys(&base, &outer(9, 9, 9, None)),
            ["a", "inner.deep", "inner.x"]
        );
    }
}

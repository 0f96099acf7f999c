//! Every YAML call in one place: typed parsing with serde_yaml, and a map from config paths
//! (`routes[1].secrets[0].env`) to line and column for problems found after parsing.
//!
//! serde_yaml is archived; swapping it stays a change to this file alone.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A 1-based line and column in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// Parses `text` into `T`. On error, returns a message that never quotes the file's text (it
/// may hold an inline secret) and the location when the parser knows it.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, (String, Option<Location>)> {
    serde_yaml::from_str(text).map_err(|e| {
        let location = e.location().map(|l| Location {
            line: l.line(),
            column: l.column(),
        });
        let mut msg = e.to_string();
        // serde_yaml appends " at line X column Y"; we print the location ourselves.
        if let Some(i) = msg.find(" at line ") {
            msg.truncate(i);
        }
        (redact_scalars(&msg), location)
    })
}

/// serde's type errors quote the offending value (`invalid type: string "whsec_..."`), and a
/// value in the wrong place may be a secret: keep the type, drop the text.
fn redact_scalars(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find("string \"") {
        out.push_str(&rest[..i + "string".len()]);
        let after = &rest[i + "string \"".len()..];
        // Skip to the closing quote, honouring backslash escapes.
        let mut end = after.len();
        let mut escaped = false;
        for (j, c) in after.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = j + 1;
                    break;
                }
                _ => escaped = false,
            }
        }
        rest = &after[end.min(after.len())..];
    }
    out.push_str(rest);
    out
}

/// Positions of every key and sequence item, by config path.
pub fn positions(text: &str) -> HashMap<String, Location> {
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    // A file serde_yaml accepted parses here too; on the off chance it does not, problems are
    // reported without locations rather than not at all.
    let _ = parser.load(&mut b, false);
    b.out
}

#[derive(Debug)]
enum Frame {
    /// In a mapping; `key` is Some after a key scalar was read and its value is pending.
    Map {
        path: String,
        key: Option<String>,
    },
    Seq {
        path: String,
        index: usize,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    out: HashMap<String, Location>,
}

impl Builder {
    /// The path a value starting now would have, and records its position.
    fn value_path(&mut self, mark: Marker) -> String {
        let loc = Location {
            line: mark.line(),
            column: mark.col() + 1,
        };
        match self.stack.last_mut() {
            None => String::new(),
            Some(Frame::Map { path, key }) => {
                let k = key.take().unwrap_or_default();
                let p = if path.is_empty() {
                    k
                } else {
                    format!("{path}.{k}")
                };
                self.out.entry(p.clone()).or_insert(loc);
                p
            }
            Some(Frame::Seq { path, index }) => {
                let p = format!("{path}[{index}]");
                *index += 1;
                self.out.entry(p.clone()).or_insert(loc);
                p
            }
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                if let Some(Frame::Map { path, key }) = self.stack.last_mut() {
                    if key.is_none() {
                        // A key: remember its position as the position of the entry.
                        let p = if path.is_empty() {
                            value.clone()
                        } else {
                            format!("{path}.{value}")
                        };
                        self.out.insert(
                            p,
                            Location {
                                line: mark.line(),
                                column: mark.col() + 1,
                            },
                        );
                        *key = Some(value);
                        return;
                    }
                }
                self.value_path(mark);
            }
            Event::Alias(_) => {
                self.value_path(mark);
            }
            Event::MappingStart(..) => {
                let path = self.value_path(mark);
                self.stack.push(Frame::Map { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.value_path(mark);
                self.stack.push(Frame::Seq { path, index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_redacted() {
        assert_eq!(
            redact_scalars(
                r#"routes[0].secrets[0]: invalid type: string "whsec_x\"y", expected struct RawSecret"#
            ),
            "routes[0].secrets[0]: invalid type: string, expected struct RawSecret"
        );
        assert_eq!(redact_scalars("unknown field `x`"), "unknown field `x`");
    }

    #[test]
    fn paths_and_positions() {
        let text = "listen: x\nroutes:\n  - name: a\n    secrets:\n      - env: A\n  - name: b\n";
        let p = positions(text);
        assert_eq!(p["listen"], Location { line: 1, column: 1 });
        assert_eq!(p["routes"].line, 2);
        assert_eq!(p["routes[0].name"], Location { line: 3, column: 5 });
        assert_eq!(
            p["routes[0].secrets[0].env"],
            Location { line: 5, column: 9 }
        );
        assert_eq!(p["routes[1].name"].line, 6);
    }
}

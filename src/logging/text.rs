//! The `text` log line, byte for byte what `tracing_subscriber`'s default format writes with
//! ANSI colours off, written directly.
//!
//! hookgate logs a line per request, and formatting it was the largest single item of its own
//! work per request (about 5% of its CPU in a profile of the dedup-off route). The stock format
//! goes through `core::fmt` for every piece: a calendar computation per timestamp, style
//! painting that writes nothing when colours are off, and a `write!` per field. Here the
//! timestamp, level and target are copied in, and the common field values (plain strings,
//! integers, booleans) are written without the formatting machinery; anything else takes the
//! stock path. The test at the bottom holds the two formats equal.

use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The line: `<RFC 3339 UTC, µs> <level> <spans>: <target>: <fields>`.
pub struct TextLine;

impl<S, N> FormatEvent<S, N> for TextLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        // Events bridged from the `log` crate carry their real target in fields.
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        timestamp(&mut w, SystemTime::now())?;
        w.write_str(level(meta.level()))?;
        if let Some(scope) = ctx.event_scope() {
            let mut seen = false;
            for span in scope.from_root() {
                w.write_str(span.metadata().name())?;
                seen = true;
                let ext = span.extensions();
                if let Some(fields) = ext.get::<FormattedFields<N>>() {
                    if !fields.is_empty() {
                        write!(w, "{{{fields}}}")?;
                    }
                }
                w.write_char(':')?;
            }
            if seen {
                w.write_char(' ')?;
            }
        }
        w.write_str(meta.target())?;
        w.write_str(": ")?;
        ctx.format_fields(w.by_ref(), event)?;
        w.write_char('\n')
    }
}

/// The level as the stock format pads it, with the separating spaces around it.
fn level(l: &Level) -> &'static str {
    match *l {
        Level::TRACE => " TRACE ",
        Level::DEBUG => " DEBUG ",
        Level::INFO => "  INFO ",
        Level::WARN => "  WARN ",
        Level::ERROR => " ERROR ",
    }
}

/// `2026-12-04T16:03:36.599617Z`, as the stock `SystemTime` timer writes it.
fn timestamp(w: &mut Writer<'_>, now: SystemTime) -> fmt::Result {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (y, m, d) = civil(secs / 86_400);
    let s = secs % 86_400;
    let mut b = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, len: usize, mut v: u64| {
        for i in (at..at + len).rev() {
            // A digit: the value is taken modulo 10 first.
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y);
    put(5, 2, m);
    put(8, 2, d);
    put(11, 2, s / 3600);
    put(14, 2, s / 60 % 60);
    put(17, 2, s % 60);
    put(20, 6, u64::from(since.subsec_micros()));
    // Every byte was ASCII to start with and only ASCII digits were written.
    w.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?)
}

/// Year, month, day of `days` since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(m <= 2), m, d)
}

/// The fields: `message` first as written, then `name=value`, values as `Debug` shows them.
pub struct TextFields;

impl<'w> FormatFields<'w> for TextFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut v = Fields {
            w: writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut v);
        v.result
    }
}

struct Fields<'w> {
    w: Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl Fields<'_> {
    /// Starts a field: skips `log.*` (the bridged metadata, shown as the target), writes the
    /// separating space and `name=` (none for the message). Returns whether to write the
    /// value, and whether it is the message.
    fn start(&mut self, field: &Field) -> Option<bool> {
        let name = field.name();
        if self.result.is_err() || name.starts_with("log.") {
            return None;
        }
        if !std::mem::take(&mut self.first) {
            self.result = self.w.write_char(' ');
        }
        if name == "message" {
            return Some(true);
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        self.result = self
            .result
            .and_then(|()| self.w.write_str(name))
            .and_then(|()| self.w.write_char('='));
        Some(false)
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        let Some(message) = self.start(field) else {
            return;
        };
        self.result = self.result.and_then(|()| {
            if message {
                Escaping(&mut self.w).write_str(value)
            } else if value.bytes().all(plain) {
                // What `Debug` writes for a string that needs no escape.
                self.w.write_char('"')?;
                self.w.write_str(value)?;
                self.w.write_char('"')
            } else {
                write!(self.w, "{value:?}")
            }
        });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.start(field).is_some() {
            let mut b = itoa::Buffer::new();
            self.result = self.result.and_then(|()| self.w.write_str(b.format(value)));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.start(field).is_some() {
            let mut b = itoa::Buffer::new();
            self.result = self.result.and_then(|()| self.w.write_str(b.format(value)));
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.start(field).is_some() {
            let s = if value { "true" } else { "false" };
            self.result = self.result.and_then(|()| self.w.write_str(s));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.start(field).is_none() {
            return;
        }
        self.result = self.result.and_then(|()| {
            write!(Escaping(&mut self.w), "{value}")?;
            let Some(mut source) = value.source() else {
                return Ok(());
            };
            let name = field.name();
            write!(
                self.w,
                " {}.sources=[",
                name.strip_prefix("r#").unwrap_or(name)
            )?;
            loop {
                write!(Escaping(&mut self.w), "{source}")?;
                match source.source() {
                    Some(next) => {
                        self.w.write_str(", ")?;
                        source = next;
                    }
                    None => break,
                }
            }
            self.w.write_char(']')
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let Some(message) = self.start(field) else {
            return;
        };
        self.result = self.result.and_then(|()| {
            if message {
                write!(Escaping(&mut self.w), "{value:?}")
            } else {
                write!(self.w, "{value:?}")
            }
        });
    }
}

/// A byte `Debug` writes as itself inside a string's quotes.
fn plain(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\'
}

/// Writes through, escaping what could drive a terminal (the stock format's sanitising of
/// messages and errors: ESC, BEL, BS, FF, DEL and the C1 controls).
struct Escaping<'a, 'w>(&'a mut Writer<'w>);

impl fmt::Write for Escaping<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if s.bytes()
            .all(|b| !matches!(b, 0x1b | 0x07 | 0x08 | 0x0c | 0x7f | 0xc2))
        {
            // No C1 control either: in UTF-8 those all begin with 0xC2.
            return self.0.write_str(s);
        }
        for ch in s.chars() {
            match ch {
                '\x1b' => self.0.write_str("\\x1b")?,
                '\x07' => self.0.write_str("\\x07")?,
                '\x08' => self.0.write_str("\\x08")?,
                '\x0c' => self.0.write_str("\\x0c")?,
                '\x7f' => self.0.write_str("\\x7f")?,
                c if ('\u{80}'..='\u{9f}').contains(&c) => write!(self.0, "\\u{{{:x}}}", c as u32)?,
                c => self.0.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[derive(Debug)]
    struct Failed(&'static str, Option<Box<Failed>>);

    impl fmt::Display for Failed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Failed {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    /// Every kind of field, value and nesting hookgate's lines use, and some they do not.
    fn events() {
        let peer: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap();
        tracing::info!(
            target: "hookgate::gate",
            route = "tolinku",
            outcome = "forwarded",
            status = 200u16,
            latency_ms = 0.534_f64,
            event_id = Some("evt_1"),
            secret = None::<&str>,
            observe = false,
            skew_seconds = -3i64,
            peer = %peer,
            "request"
        );
        tracing::warn!(
            quoted = "a \"b\" \\ c\nd\te",
            unicode = "é\u{200b}\u{85}x",
            "plain message"
        );
        tracing::warn!("formatted {} and \x1b[31mred\x07 \u{9b}", 42);
        tracing::error!(
            r#type = "raw name",
            big = u64::MAX,
            small = i64::MIN,
            f = 1e-7_f64,
            g = 3.0_f64
        );
        let e = Failed(
            "outer \x1b",
            Some(Box::new(Failed(
                "inner",
                Some(Box::new(Failed("root", None))),
            ))),
        );
        tracing::error!(error = &e as &(dyn std::error::Error + 'static), "failed");
        let single = Failed("alone", None);
        tracing::warn!(error = &single as &(dyn std::error::Error + 'static));
        tracing::info!(dbg = ?vec![1, 2], empty = "", "");
        let span = tracing::info_span!("outer", id = 7, name = "x");
        let _g = span.enter();
        let inner = tracing::info_span!("inner");
        let _h = inner.enter();
        tracing::info!(k = true, "in spans");
        drop(_h);
        let with = tracing::info_span!("with", route = "r\"q");
        let _w = with.enter();
        tracing::debug!("deep");
    }

    fn without_timestamps(out: &[u8]) -> Vec<String> {
        String::from_utf8(out.to_vec())
            .unwrap()
            .lines()
            .map(|l| {
                let (ts, rest) = l.split_at(27);
                assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "{l}");
                rest.to_owned()
            })
            .collect()
    }

    #[test]
    fn the_line_is_the_stock_formats_byte_for_byte() {
        let stock = Sink::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(Level::TRACE)
            .with_ansi(false)
            .with_writer({
                let s = stock.clone();
                move || s.clone()
            })
            .finish();
        tracing::subscriber::with_default(subscriber, events);

        let ours = Sink::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(Level::TRACE)
            .with_ansi(false)
            .fmt_fields(TextFields)
            .event_format(TextLine)
            .with_writer({
                let s = ours.clone();
                move || s.clone()
            })
            .finish();
        tracing::subscriber::with_default(subscriber, events);

        let (stock, ours) = (
            without_timestamps(&stock.0.lock().unwrap()),
            without_timestamps(&ours.0.lock().unwrap()),
        );
        assert_eq!(stock.len(), 9, "{stock:#?}");
        for (s, o) in stock.iter().zip(&ours) {
            assert_eq!(s, o);
        }
        assert_eq!(stock.len(), ours.len());
    }

    #[test]
    fn timestamps_are_the_stock_timers() {
        for secs in [
            0u64,
            951_782_400,   // 2000-02-29
            1_764_000_000, // 2025-11-24
            4_107_542_399, // 2100-02-28T23:59:59
            4_107_542_400, // 2100-03-01
            253_402_300_799,
        ] {
            for micros in [0u32, 1, 599_617, 999_999] {
                let t = UNIX_EPOCH + std::time::Duration::new(secs, micros * 1000);
                let mut ours = String::new();
                timestamp(&mut Writer::new(&mut ours), t).unwrap();
                let expected = humantime::format_rfc3339_micros(t).to_string();
                assert_eq!(ours, expected, "{secs}.{micros}");
            }
        }
    }
}

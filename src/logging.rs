//! Log output: formatted lines are batched in memory and written to stderr by one thread.
//!
//! hookgate logs a line per request. `tracing_appender::non_blocking` sends each line through
//! a channel and wakes its writer thread for every one: at tens of thousands of requests a
//! second, the futex wake-ups and context switches cost more than the logging. Here a line is
//! a `memcpy` into a shared buffer under a mutex; the writer thread wakes when the buffer passes
//! a high-water mark or when the flush interval elapses, so a wake-up and a `write` syscall
//! carry a whole batch.
//!
//! - **Whole lines.** `tracing_subscriber`'s fmt layer formats an event into its own buffer and
//!   hands it to the writer in a single `write_all` (`fmt_layer.rs`, `on_event`), and a
//!   [`BatchWriter`]'s `write` always takes every byte, so each event is one append under the
//!   lock: lines from different threads never interleave, and a batch never ends mid-line.
//! - **No line is dropped for being too many.** Past the cap (the sink is slower than the
//!   logs), the logging thread waits for the writer, as `non_blocking`'s `lossy(false)` did.
//!   Memory stays below twice the cap: one batch being written, one filling.
//! - **Shutdown.** Dropping the [`LogGuard`] writes what is pending and joins the writer;
//!   lines logged after that go straight to the sink, synchronously, instead of being stranded.
//! - **A failing sink** (stderr closed, a full disk behind a redirect, a pipe stalled past
//!   `STALL_LIMIT`) costs the batch, which is counted ([`BatchWriter::dropped_bytes`]) and
//!   exported on the admin port as `hookgate_log_dropped_bytes_total`, not logged: in
//!   production the sink *is* stderr, so a log line would fail the same way, and retrying
//!   forever would hold every logging thread hostage to a sink that may never recover.

use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::format::{DefaultFields, Format};
use tracing_subscriber::fmt::{MakeWriter, SubscriberBuilder};
use tracing_subscriber::EnvFilter;

mod text;

/// How log lines are written (`log.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One human-readable line per event (the default).
    Text,
    /// One JSON object per line, fields at the top level.
    Json,
}

/// When the writer thread wakes and how much it lets pile up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Pending lines are written at least this often, so a quiet process's logs stay current.
    pub flush_interval: Duration,
    /// A buffer this large wakes the writer before the interval ends.
    pub high_water: usize,
    /// A buffer this large makes logging threads wait for the writer.
    pub cap: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        Self {
            flush_interval: Duration::from_millis(50),
            high_water: 64 * 1024,
            cap: 8 * 1024 * 1024,
        }
    }
}

impl BatchLimits {
    fn sane(self) -> Self {
        let cap = self.cap.max(1);
        Self {
            // A zero interval would make the writer spin on an empty buffer, and an enormous one
            // would overflow its deadline (`Instant + Duration` panics).
            flush_interval: self
                .flush_interval
                .clamp(Duration::from_millis(1), Duration::from_secs(86_400)),
            // Past the cap appenders wait for a writer that the high-water mark must have woken.
            high_water: self.high_water.clamp(1, cap),
            cap,
        }
    }
}

/// A `MakeWriter` that appends each formatted line to a shared batch. Clones share the batch.
#[derive(Clone)]
pub struct BatchWriter {
    shared: Arc<Shared>,
}

/// Keep this until the process exits: dropping it writes every pending line and stops the
/// writer thread.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    /// The writer waits here for the high-water mark or shutdown.
    wake_writer: Condvar,
    /// Appenders over the cap wait here for the writer to take the buffer.
    drained: Condvar,
    limits: BatchLimits,
    dropped_bytes: AtomicU64,
}

struct State {
    buf: Vec<u8>,
    /// Someone needs the buffer written before the interval ends: it passed the high-water mark,
    /// or an appender waits at the cap. Once set, later lines skip the `notify` (a futex
    /// syscall even with nobody waiting).
    wake_pending: bool,
    /// How many appenders wait on `drained`, for the same reason.
    waiting: usize,
    shutdown: bool,
    /// No writer thread (it finished, or never started): appenders write to `sink` themselves.
    closed: bool,
    /// Here while no writer thread owns it.
    sink: Option<Box<dyn Write + Send>>,
}

/// How long a sink may answer `WouldBlock` without taking a byte before the batch is given up.
/// stderr inherited in non-blocking mode reports a full pipe that way; that is a slow sink, not
/// a broken one, unless it stays full this long.
const STALL_LIMIT: Duration = Duration::from_secs(5);
const STALL_PAUSE: Duration = Duration::from_millis(1);

impl BatchWriter {
    pub fn with_limits(sink: impl Write + Send + 'static, limits: BatchLimits) -> (Self, LogGuard) {
        let limits = limits.sane();
        // Both buffers are sized for a normal batch up front so the steady state never
        // reallocates; the sink waits in the state so that, if the thread cannot be spawned, the
        // appenders still have somewhere to write.
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                buf: Vec::with_capacity(limits.high_water),
                wake_pending: false,
                waiting: 0,
                shutdown: false,
                closed: false,
                sink: Some(Box::new(sink)),
            }),
            wake_writer: Condvar::new(),
            drained: Condvar::new(),
            limits,
            dropped_bytes: AtomicU64::new(0),
        });
        let worker = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name("hookgate-log".into())
            .spawn(move || worker.run())
            .ok();
        if thread.is_none() {
            // Logging synchronously is slower but loses nothing; failing startup over it would
            // be worse.
            lock(&shared.state).closed = true;
        }
        let guard = LogGuard {
            shared: Arc::clone(&shared),
            thread,
        };
        (Self { shared }, guard)
    }

    /// Bytes the sink failed to take (their batch was given up). Never reset.
    pub fn dropped_bytes(&self) -> u64 {
        self.shared.dropped_bytes.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    fn pending(&self) -> usize {
        lock(&self.shared.state).buf.len()
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Line<'a> {
        // A borrow, not an `Arc` clone: no shared refcount bouncing between cores per line.
        Line {
            shared: &self.shared,
        }
    }
}

/// The writer for one event. Every `write` is appended whole, under one lock.
pub struct Line<'a> {
    shared: &'a Shared,
}

impl Write for Line<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !buf.is_empty() {
            self.shared.append(buf);
        }
        Ok(buf.len())
    }

    /// Does not wait for the sink: nothing in the fmt layer calls it, and making a logging
    /// thread wait for a syscall is what this writer exists to avoid. The guard is what
    /// guarantees lines reach the sink.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn append(&self, line: &[u8]) {
        let mut state = lock(&self.state);
        loop {
            if state.closed {
                self.write_closed(&mut state, line);
                return;
            }
            // An empty buffer takes any line, so a line longer than the cap cannot wait forever.
            if state.buf.is_empty() || state.buf.len() + line.len() <= self.limits.cap {
                break;
            }
            // Normally the high-water mark has already woken the writer, but a line long enough
            // can reach the cap from below the mark.
            if !state.wake_pending {
                state.wake_pending = true;
                self.wake_writer.notify_one();
            }
            state.waiting += 1;
            state = self
                .drained
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.waiting -= 1;
        }
        state.buf.extend_from_slice(line);
        let wake = state.buf.len() >= self.limits.high_water && !state.wake_pending;
        if wake {
            state.wake_pending = true;
        }
        drop(state);
        if wake {
            self.wake_writer.notify_one();
        }
    }

    fn write_closed(&self, state: &mut State, line: &[u8]) {
        let lost = match state.sink.as_mut() {
            Some(sink) => write_batch(sink.as_mut(), line),
            None => line.len(),
        };
        self.count_dropped(lost);
    }

    fn run(&self) {
        let mut state = lock(&self.state);
        let Some(mut sink) = state.sink.take() else {
            state.closed = true;
            return;
        };
        let mut spare = Vec::with_capacity(self.limits.high_water);
        loop {
            let deadline = Instant::now() + self.limits.flush_interval;
            while !state.shutdown && !state.wake_pending {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                state = self
                    .wake_writer
                    .wait_timeout(state, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            if state.shutdown {
                break;
            }
            if state.buf.is_empty() {
                state.wake_pending = false;
                continue;
            }
            // Swap rather than copy, and write without the lock: appenders keep filling the
            // other buffer while the syscall runs.
            std::mem::swap(&mut state.buf, &mut spare);
            state.wake_pending = false;
            if state.waiting > 0 {
                self.drained.notify_all();
            }
            drop(state);
            let lost = write_batch(sink.as_mut(), &spare);
            self.count_dropped(lost);
            spare.clear();
            // A burst past the high-water mark must not pin its peak size for the process's life.
            if spare.capacity() > 4 * self.limits.high_water {
                spare.shrink_to(2 * self.limits.high_water);
            }
            state = lock(&self.state);
        }
        // The last batch is written under the lock: appenders arriving meanwhile wait for it,
        // then find the sink handed back and write to it themselves. Draining without the lock
        // could chase a steady stream of lines forever and never let shutdown finish.
        let last = std::mem::take(&mut state.buf);
        let lost = write_batch(sink.as_mut(), &last);
        self.count_dropped(lost);
        state.sink = Some(sink);
        state.closed = true;
        if state.waiting > 0 {
            self.drained.notify_all();
        }
    }

    fn count_dropped(&self, bytes: usize) {
        if bytes > 0 {
            self.dropped_bytes
                .fetch_add(u64::try_from(bytes).unwrap_or(u64::MAX), Ordering::Relaxed);
        }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        lock(&self.shared.state).shutdown = true;
        self.shared.wake_writer.notify_one();
        if let Some(thread) = self.thread.take() {
            // The writer catches the sink's panics; a join error has nothing left to report.
            let _ = thread.join();
        }
    }
}

/// Writes `batch`, returning how many bytes the sink did not take. `write_all` is not enough:
/// it gives up at `WouldBlock` without saying how much it wrote. A panicking sink counts as a
/// failed one, so the writer thread outlives it and logging threads never wait on a dead writer.
fn write_batch(sink: &mut dyn Write, batch: &[u8]) -> usize {
    let mut rest = batch;
    let written = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut stalled_since: Option<Instant> = None;
        while !rest.is_empty() {
            match sink.write(rest) {
                Ok(0) => return,
                Ok(n) => {
                    rest = rest.get(n..).unwrap_or_default();
                    stalled_since = None;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let since = *stalled_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= STALL_LIMIT {
                        return;
                    }
                    thread::sleep(STALL_PAUSE);
                }
                Err(_) => return,
            }
        }
        // stderr has no buffer to flush; a buffering sink that fails here keeps its bytes for
        // the next batch's flush, so nothing is counted.
        let _ = sink.flush();
    }));
    match written {
        Ok(()) => rest.len(),
        Err(_) => batch.len(),
    }
}

/// A panic elsewhere while holding the lock leaves the buffer as valid bytes (appends are a
/// single `extend_from_slice`), so the state is still good to use; losing every later log line
/// over it would not be.
fn lock(mutex: &Mutex<State>) -> MutexGuard<'_, State> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Installs the global subscriber: `RUST_LOG` if set and valid, else `level`, else `info`;
/// text or flattened JSON, no ANSI colours, through a [`BatchWriter`] over stderr. Keep the
/// guard until exit. If a global subscriber is already installed, this one is discarded.
pub fn init(level: &str, format: LogFormat) -> LogGuard {
    let (writer, guard) = BatchWriter::with_limits(io::stderr(), BatchLimits::default());
    let builder = subscriber_builder(filter(level), writer.clone());
    let installed = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder
            .fmt_fields(text::TextFields)
            .event_format(text::TextLine)
            .try_init(),
    };
    if installed.is_ok() {
        let _ = INSTALLED.set(writer);
    }
    guard
}

/// The writer `init` installed, so the admin port can export what it lost.
static INSTALLED: OnceLock<BatchWriter> = OnceLock::new();

/// Bytes of log lines the process's log sink failed to take, since start (0 before `init`,
/// and in tests, which log elsewhere): `hookgate_log_dropped_bytes_total`.
pub fn dropped_bytes_total() -> u64 {
    INSTALLED.get().map_or(0, BatchWriter::dropped_bytes)
}

/// At most `per_window` lines per `window` for one kind of event; the rest are counted, and the
/// next line let through says how many were left out. For warnings that come once per request
/// in a flood: refusing an overloaded request costs less than formatting and writing its line,
/// so a warn line per refusal would add load where load is the problem. The metrics still count
/// every request; the log says it is happening, and how much.
pub struct Throttle {
    per_window: u32,
    window: Duration,
    state: Mutex<ThrottleState>,
}

struct ThrottleState {
    started: Option<Instant>,
    passed: u32,
    held_back: u64,
}

impl Throttle {
    pub const fn new(per_window: u32, window: Duration) -> Self {
        Self {
            per_window,
            window,
            state: Mutex::new(ThrottleState {
                started: None,
                passed: 0,
                held_back: 0,
            }),
        }
    }

    /// `Some(n)`: log this event, `n` having been held back since the last one logged;
    /// `None`: hold it back.
    pub fn admit(&self, now: Instant) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if s.started
            .is_none_or(|t| now.saturating_duration_since(t) >= self.window)
        {
            s.started = Some(now);
            s.passed = 0;
        }
        if s.passed < self.per_window {
            s.passed += 1;
            Some(std::mem::take(&mut s.held_back))
        } else {
            s.held_back += 1;
            None
        }
    }
}

fn filter(level: &str) -> EnvFilter {
    EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"))
}

fn subscriber_builder(
    filter: EnvFilter,
    writer: BatchWriter,
) -> SubscriberBuilder<DefaultFields, Format, EnvFilter, BatchWriter> {
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(writer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;

    /// A sink that keeps what it is given and counts `write` calls.
    #[derive(Clone, Default)]
    struct Recorder {
        bytes: Arc<Mutex<Vec<u8>>>,
        writes: Arc<AtomicUsize>,
    }

    impl Recorder {
        fn text(&self) -> String {
            String::from_utf8(self.bytes.lock().unwrap().clone()).unwrap()
        }
        fn len(&self) -> usize {
            self.bytes.lock().unwrap().len()
        }
        fn writes(&self) -> usize {
            self.writes.load(Ordering::SeqCst)
        }
    }

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.bytes.lock().unwrap().extend_from_slice(buf);
            self.writes.fetch_add(1, Ordering::SeqCst);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    const LONG: Duration = Duration::from_secs(3600);

    fn limits(flush_interval: Duration, high_water: usize, cap: usize) -> BatchLimits {
        BatchLimits {
            flush_interval,
            high_water,
            cap,
        }
    }

    /// The default sizes with this flush interval.
    fn with_interval(
        sink: impl Write + Send + 'static,
        flush_interval: Duration,
    ) -> (BatchWriter, LogGuard) {
        BatchWriter::with_limits(
            sink,
            BatchLimits {
                flush_interval,
                ..BatchLimits::default()
            },
        )
    }

    fn log(writer: &BatchWriter, line: &str) {
        writer.make_writer().write_all(line.as_bytes()).unwrap();
    }

    /// Polls `cond` for up to 10 s, so a slow CI machine fails a test instead of hanging it.
    fn eventually(mut cond: impl FnMut() -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if cond() {
                return true;
            }
            thread::sleep(Duration::from_millis(5));
        }
        false
    }

    #[test]
    fn lines_from_many_threads_arrive_whole_in_order_and_batched() {
        let sink = Recorder::default();
        let (writer, guard) =
            BatchWriter::with_limits(sink.clone(), limits(Duration::from_millis(5), 4096, 65536));
        let (threads, per_thread) = (8, 2000);
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let writer = writer.clone();
                thread::spawn(move || {
                    for i in 0..per_thread {
                        log(&writer, &format!("t{t} n{i} {}\n", "x".repeat(i % 50)));
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        drop(guard);

        let text = sink.text();
        let mut next = vec![0usize; threads];
        for line in text.lines() {
            let mut parts = line.split(' ');
            let t: usize = parts.next().unwrap()[1..].parse().unwrap();
            let i: usize = parts.next().unwrap()[1..].parse().unwrap();
            assert_eq!(parts.next().unwrap(), "x".repeat(i % 50), "line {line:?}");
            assert_eq!(parts.next(), None, "line {line:?}");
            assert_eq!(i, next[t], "thread {t}'s lines out of order or missing");
            next[t] += 1;
        }
        assert_eq!(next, vec![per_thread; threads]);
        let lines = threads * per_thread;
        assert!(
            sink.writes() < lines / 20,
            "{} sink writes for {lines} lines",
            sink.writes()
        );
        assert_eq!(writer.dropped_bytes(), 0);
    }

    #[test]
    fn fmt_events_arrive_as_whole_json_lines() {
        let sink = Recorder::default();
        let (writer, guard) =
            BatchWriter::with_limits(sink.clone(), limits(Duration::from_millis(5), 2048, 65536));
        let dispatch = tracing::Dispatch::new(
            subscriber_builder(EnvFilter::new("info"), writer)
                .json()
                .flatten_event(true)
                .finish(),
        );
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let dispatch = dispatch.clone();
                thread::spawn(move || {
                    tracing::dispatcher::with_default(&dispatch, || {
                        for i in 0..500 {
                            tracing::info!(thread = t, i, "request done");
                            tracing::debug!("filtered out");
                        }
                    });
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        drop(guard);

        let text = sink.text();
        let mut count = [0u64; 4];
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["message"], "request done");
            assert_eq!(v["level"], "INFO");
            let t = usize::try_from(v["thread"].as_u64().unwrap()).unwrap();
            assert_eq!(v["i"].as_u64().unwrap(), count[t]);
            count[t] += 1;
        }
        assert_eq!(count, [500; 4]);
        assert!(!text.contains('\x1b'), "ANSI escapes in the output");
    }

    #[test]
    fn nothing_is_written_before_the_interval_and_the_guard_flushes() {
        let sink = Recorder::default();
        let (writer, guard) = with_interval(sink.clone(), LONG);
        for i in 0..100 {
            log(&writer, &format!("line {i}\n"));
        }
        thread::sleep(Duration::from_millis(200));
        assert_eq!(
            sink.writes(),
            0,
            "wrote before the interval or high-water mark"
        );
        drop(guard);
        assert_eq!(sink.writes(), 1);
        let expected: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(sink.text(), expected);
    }

    #[test]
    fn the_interval_flushes_without_the_guard() {
        let sink = Recorder::default();
        let (writer, _guard) = with_interval(sink.clone(), Duration::from_millis(20));
        let expected: String = (0..100).map(|i| format!("line {i}\n")).collect();
        log(&writer, &expected);
        assert!(eventually(|| sink.len() == expected.len()));
        assert_eq!(sink.writes(), 1);
        assert_eq!(sink.text(), expected);
    }

    #[test]
    fn the_high_water_mark_wakes_the_writer_before_the_interval() {
        let sink = Recorder::default();
        let high_water = 1024;
        let (writer, guard) =
            BatchWriter::with_limits(sink.clone(), limits(LONG, high_water, 1 << 20));
        let lines = 1000;
        let mut total = 0;
        for i in 0..lines {
            let line = format!("a line of about forty bytes, no. {i:05}\n");
            total += line.len();
            log(&writer, &line);
        }
        assert!(eventually(|| sink.len() + high_water > total));
        assert!(
            sink.writes() < lines / 10,
            "{} sink writes for {lines} lines",
            sink.writes()
        );
        drop(guard);
        assert_eq!(sink.len(), total);
    }

    /// Takes nothing until `gate` is dropped.
    struct Gated {
        gate: mpsc::Receiver<()>,
        inner: Recorder,
    }

    impl Write for Gated {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let _ = self.gate.recv();
            self.inner.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_slow_sink_makes_appenders_wait_instead_of_growing_or_dropping() {
        let (open, gate) = mpsc::channel::<()>();
        let sink = Recorder::default();
        let (line_len, cap, lines) = (32, 256, 100);
        let (writer, guard) = BatchWriter::with_limits(
            Gated {
                gate,
                inner: sink.clone(),
            },
            limits(Duration::from_millis(1), 64, cap),
        );
        let appended = Arc::new(AtomicUsize::new(0));
        let (done_tx, done) = mpsc::channel();
        let appender = {
            let (writer, appended) = (writer.clone(), Arc::clone(&appended));
            thread::spawn(move || {
                for i in 0..lines {
                    log(&writer, &format!("{i:030}\n"));
                    appended.fetch_add(1, Ordering::SeqCst);
                }
                let _ = done_tx.send(());
            })
        };

        // The writer holds one batch in the blocked sink and the buffer fills to the cap.
        thread::sleep(Duration::from_millis(200));
        let stuck_at = appended.load(Ordering::SeqCst);
        thread::sleep(Duration::from_millis(100));
        assert_eq!(
            appended.load(Ordering::SeqCst),
            stuck_at,
            "appender did not wait"
        );
        assert!(stuck_at < lines);
        assert!(
            stuck_at * line_len <= 2 * cap + line_len,
            "{stuck_at} lines in memory"
        );
        assert!(
            writer.pending() <= cap,
            "buffer {} over the cap",
            writer.pending()
        );
        assert_eq!(sink.len(), 0);

        drop(open);
        done.recv_timeout(Duration::from_secs(10))
            .expect("the appender never finished");
        appender.join().unwrap();
        drop(guard);
        let expected: String = (0..lines).map(|i| format!("{i:030}\n")).collect();
        assert_eq!(sink.text(), expected);
        assert_eq!(writer.dropped_bytes(), 0);
    }

    #[test]
    fn a_line_reaching_the_cap_below_the_high_water_mark_does_not_wait_for_the_interval() {
        let sink = Recorder::default();
        let (writer, guard) = BatchWriter::with_limits(sink.clone(), limits(LONG, 200, 256));
        let (short, long) = (
            format!("{}\n", "s".repeat(99)),
            format!("{}\n", "l".repeat(189)),
        );
        let (done_tx, done) = mpsc::channel();
        let appender = {
            let (writer, short, long) = (writer.clone(), short.clone(), long.clone());
            thread::spawn(move || {
                log(&writer, &short);
                log(&writer, &long);
                let _ = done_tx.send(());
            })
        };
        done.recv_timeout(Duration::from_secs(10))
            .expect("the appender waited for the flush interval");
        appender.join().unwrap();
        // The writer swapped the short line out to let the long one in; its write may still be
        // under way, and the long line, below the high-water mark, waits for the guard.
        assert!(eventually(|| sink.text() == short));
        thread::sleep(Duration::from_millis(50));
        assert_eq!(sink.text(), short);
        drop(guard);
        assert_eq!(sink.text(), short + &long);
    }

    struct Failing;

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::other("disk full"))
        }
    }

    #[test]
    fn a_failing_sink_costs_its_batches_without_panicking() {
        let (writer, guard) =
            BatchWriter::with_limits(Failing, limits(Duration::from_millis(1), 64, 1024));
        for i in 0..200 {
            log(&writer, &format!("{i:09}\n"));
        }
        drop(guard);
        assert_eq!(writer.dropped_bytes(), 200 * 10);
        log(&writer, "after shutdown\n");
        assert_eq!(writer.dropped_bytes(), 200 * 10 + 15);
    }

    struct Panicking;

    impl Write for Panicking {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            panic!("sink exploded (expected by this test)");
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_panicking_sink_does_not_kill_the_writer() {
        let (writer, guard) =
            BatchWriter::with_limits(Panicking, limits(Duration::from_millis(1), 64, 256));
        // Far more than the cap: a dead writer would leave this thread waiting forever.
        for i in 0..200 {
            log(&writer, &format!("{i:09}\n"));
        }
        drop(guard);
        assert_eq!(writer.dropped_bytes(), 200 * 10);
    }

    /// Takes at most 7 bytes a call and answers every other call with `WouldBlock` or
    /// `Interrupted`, like stderr on a non-blocking pipe.
    struct Grudging {
        calls: usize,
        inner: Recorder,
    }

    impl Write for Grudging {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            match self.calls % 4 {
                1 => Err(io::ErrorKind::WouldBlock.into()),
                3 => Err(io::ErrorKind::Interrupted.into()),
                _ => self.inner.write(&buf[..buf.len().min(7)]),
            }
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn partial_writes_and_would_block_lose_nothing() {
        let sink = Recorder::default();
        let (writer, guard) = BatchWriter::with_limits(
            Grudging {
                calls: 0,
                inner: sink.clone(),
            },
            limits(Duration::from_millis(1), 64, 1024),
        );
        let expected: String = (0..100).map(|i| format!("line {i}\n")).collect();
        for line in expected.split_inclusive('\n') {
            log(&writer, line);
        }
        drop(guard);
        assert_eq!(sink.text(), expected);
        assert_eq!(writer.dropped_bytes(), 0);
    }

    #[test]
    fn lines_after_shutdown_go_straight_to_the_sink() {
        let sink = Recorder::default();
        let (writer, guard) = with_interval(sink.clone(), LONG);
        log(&writer, "before\n");
        drop(guard);
        log(&writer, "after\n");
        assert_eq!(sink.text(), "before\nafter\n");
    }

    #[test]
    fn a_poisoned_lock_is_recovered() {
        let sink = Recorder::default();
        let (writer, guard) = with_interval(sink.clone(), LONG);
        log(&writer, "before\n");
        let shared = Arc::clone(&writer.shared);
        let poisoner = thread::spawn(move || {
            let _held = shared.state.lock();
            panic!("poisoning the log buffer (expected by this test)");
        });
        assert!(poisoner.join().is_err());
        assert!(writer.shared.state.is_poisoned());
        log(&writer, "after\n");
        drop(guard);
        assert_eq!(sink.text(), "before\nafter\n");
    }

    #[test]
    fn a_throttle_lets_a_few_through_per_window_and_counts_the_rest() {
        let t = Throttle::new(2, Duration::from_secs(1));
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        assert_eq!(t.admit(ms(0)), Some(0));
        assert_eq!(t.admit(ms(10)), Some(0));
        assert_eq!(t.admit(ms(20)), None);
        assert_eq!(t.admit(ms(999)), None);
        // A new window: the first line says how many the last one held back.
        assert_eq!(t.admit(ms(1000)), Some(2));
        assert_eq!(t.admit(ms(1001)), Some(0));
        assert_eq!(t.admit(ms(1002)), None);
        // A quiet spell, then one event: logged, with the one held back before it.
        assert_eq!(t.admit(ms(60_000)), Some(1));
        // A clock read taken before the window started (another thread's) is in the window.
        assert_eq!(t.admit(ms(59_000)), Some(0));
        assert_eq!(t.admit(ms(59_500)), None);
    }
}

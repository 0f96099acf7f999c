//! The store on disk (redb, one file) and its one writer.
//!
//! redb allows one write transaction at a time, and each durable commit costs an fsync, so
//! every change goes through one thread that takes whatever is waiting and commits it together:
//! while one commit syncs, the next batch gathers (group commit). A producer is answered only
//! after the commit that holds its delivery has returned. See docs/queue.md for the choice of
//! store (the A/B against fjall).

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};
use std::time::Instant;

use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
};
use tokio::sync::oneshot;

use super::record::{Meta, Request};
use super::{lock, store_error, Backend, Index, QueueError, Shared, State};

/// Waiting deliveries: id → metadata (JSON), and id → the stored request.
pub(super) const PENDING: TableDefinition<u64, &[u8]> = TableDefinition::new("pending");
pub(super) const PENDING_REQUEST: TableDefinition<u64, &[u8]> =
    TableDefinition::new("pending_request");
/// Dead letters, the same two ways.
pub(super) const DEAD: TableDefinition<u64, &[u8]> = TableDefinition::new("dead");
pub(super) const DEAD_REQUEST: TableDefinition<u64, &[u8]> = TableDefinition::new("dead_request");
/// `next`: the next delivery id, so ids are never reused, even once the queue is empty.
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");

/// At most this many changes in one commit: bounds a commit's time and the answer's wait.
const MAX_BATCH: usize = 4096;

/// redb's own page cache (its default is 1 GiB): the file's pages are read back once per
/// attempt at most, and the kernel's page cache keeps them anyway; memory a sidecar must plan
/// for stays this small however long the backlog. Measured: RSS 253 MB with 100 000 deliveries
/// waiting on the default, see docs/performance.md.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// The embedded backend: the file, and the channel to its writer thread.
pub(crate) struct Embedded {
    db: Database,
    path: PathBuf,
    ops: Mutex<Option<mpsc::Sender<Op>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Embedded {
    pub(super) fn new(db: Database, path: PathBuf, ops: mpsc::Sender<Op>) -> Self {
        Self {
            db,
            path,
            ops: Mutex::new(Some(ops)),
            writer: Mutex::new(None),
        }
    }

    pub(super) fn set_writer(&self, handle: std::thread::JoinHandle<()>) {
        *lock(&self.writer) = Some(handle);
    }

    pub(super) fn db(&self) -> &Database {
        &self.db
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn send(&self, op: Op) -> Result<(), QueueError> {
        match &*lock(&self.ops) {
            Some(tx) => tx.send(op).map_err(|_| QueueError::Closed),
            None => Err(QueueError::Closed),
        }
    }

    /// Commits what is waiting and stops the writer; later changes are refused.
    pub(super) fn close(&self) {
        if let Some(tx) = lock(&self.ops).take() {
            let _ = tx.send(Op::Stop);
        }
        if let Some(writer) = lock(&self.writer).take() {
            if writer.join().is_err() {
                tracing::error!("the queue's writer thread panicked");
            }
        }
    }
}

/// Metadata of waiting deliveries or dead letters, oldest first (a read transaction: never
/// waits for the writer).
pub(super) fn list(
    db: &Database,
    state: State,
    limit: usize,
) -> Result<Vec<(u64, Meta)>, QueueError> {
    let table = match state {
        State::Pending => PENDING,
        State::Dead => DEAD,
    };
    let rtx = db.begin_read().map_err(store_error)?;
    let t = rtx.open_table(table).map_err(store_error)?;
    let mut out = Vec::new();
    for row in t.iter().map_err(store_error)?.take(limit) {
        let (k, v) = row.map_err(store_error)?;
        if let Ok(meta) = serde_json::from_slice(v.value()) {
            out.push((k.value(), meta));
        }
    }
    Ok(out)
}

/// One delivery, waiting or dead; its request (body included) only when asked.
pub(super) fn show(
    db: &Database,
    id: u64,
    with_request: bool,
) -> Result<Option<(State, Meta, Option<Request>)>, QueueError> {
    let rtx = db.begin_read().map_err(store_error)?;
    for (state, meta_t, req_t) in [
        (State::Pending, PENDING, PENDING_REQUEST),
        (State::Dead, DEAD, DEAD_REQUEST),
    ] {
        let t = rtx.open_table(meta_t).map_err(store_error)?;
        let Some(v) = t.get(id).map_err(store_error)? else {
            continue;
        };
        let meta: Meta = serde_json::from_slice(v.value()).map_err(store_error)?;
        let request = if with_request {
            let r = rtx.open_table(req_t).map_err(store_error)?;
            let bytes = r.get(id).map_err(store_error)?.map(|b| b.value().to_vec());
            match bytes {
                Some(b) => Some(Request::decode(&b).map_err(QueueError::Store)?),
                None => None,
            }
        } else {
            None
        };
        return Ok(Some((state, meta, request)));
    }
    Ok(None)
}

/// A change for the writer.
pub(super) enum Op {
    /// A new delivery: stored durably, then scheduled, then its id answered.
    Enqueue {
        meta: Meta,
        request: Vec<u8>,
        reply: IdReply,
    },
    /// The app accepted it (the schedule has already forgotten it).
    Delivered { id: u64 },
    /// An attempt failed; another is due (the schedule has it already).
    Retry { id: u64, meta: Meta },
    /// It failed for good (the schedule has moved it already).
    Dead { id: u64, meta: Meta },
    /// Dead letters back to the queue: one, or all (`None`).
    Replay {
        id: Option<u64>,
        now_ms: u64,
        reply: oneshot::Sender<Result<usize, QueueError>>,
    },
    /// Dead letters removed: one, or all (`None`).
    Purge {
        id: Option<u64>,
        reply: oneshot::Sender<Result<usize, QueueError>>,
    },
    /// Commit what came before, then end.
    Stop,
}

impl Op {
    /// Whether the change must be on disk before anyone is answered. An acknowledgement or a
    /// retry's new due time lost in a crash means one more attempt, never a lost delivery, so
    /// those ride along with the next synced commit instead of costing one of their own.
    fn needs_sync(&self) -> bool {
        !matches!(self, Op::Delivered { .. } | Op::Retry { .. } | Op::Stop)
    }
}

/// Opens (or creates) the store, checks the whole file, and reads the schedule back. A damaged
/// store must stop hookgate at start, never be read half-way or silently emptied: redb reports
/// most damage as an error, but some damaged pages make it panic (`unreachable!` on a page
/// type it does not know), so every read of the file here runs under `catch_unwind`, and a
/// damaged database handle is leaked rather than dropped (its drop would write to the file).
pub(super) fn open(path: &Path) -> Result<(Database, Index), QueueError> {
    let damaged = |detail: String| QueueError::Damaged {
        path: path.to_owned(),
        detail,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| QueueError::Io {
            path: path.to_owned(),
            source: e,
        })?;
    }
    let created = quietly(|| Database::builder().set_cache_size(CACHE_BYTES).create(path));
    let mut db = match created {
        Ok(Ok(db)) => db,
        // Not a redb file at all comes as InvalidData: damage too, with what to do.
        Ok(Err(redb::DatabaseError::Storage(redb::StorageError::Io(e))))
            if e.kind() != std::io::ErrorKind::InvalidData =>
        {
            return Err(QueueError::Io {
                path: path.to_owned(),
                source: e,
            })
        }
        Ok(Err(e)) => return Err(damaged(e.to_string())),
        Err(panic) => return Err(damaged(panic)),
    };
    match quietly(|| prepare(&mut db, path)) {
        Ok(Ok(index)) => Ok((db, index)),
        Ok(Err(e)) => {
            std::mem::forget(db);
            Err(e)
        }
        Err(panic) => {
            std::mem::forget(db);
            Err(damaged(panic))
        }
    }
}

/// The whole file checked, the tables there, the schedule read back.
fn prepare(db: &mut Database, path: &Path) -> Result<Index, QueueError> {
    let damaged = |detail: String| QueueError::Damaged {
        path: path.to_owned(),
        detail,
    };
    match db.check_integrity() {
        Ok(true) => {}
        // redb rebuilt its free-page bookkeeping (after a crash): the committed data is whole.
        Ok(false) => {
            tracing::warn!(path = %path.display(), "the queue store was repaired after an unclean stop; its committed deliveries are intact")
        }
        Err(e) => return Err(damaged(e.to_string())),
    }
    let tx = db.begin_write().map_err(|e| damaged(e.to_string()))?;
    {
        // Created on first use, so that reads never meet a missing table.
        let create = |e: redb::TableError| damaged(e.to_string());
        tx.open_table(PENDING).map_err(create)?;
        tx.open_table(PENDING_REQUEST).map_err(create)?;
        tx.open_table(DEAD).map_err(create)?;
        tx.open_table(DEAD_REQUEST).map_err(create)?;
        tx.open_table(COUNTERS).map_err(create)?;
    }
    tx.commit().map_err(|e| damaged(e.to_string()))?;
    load(db, path)
}

/// The threads running `quietly` now: their panics are expected, and reported as errors.
static QUIET: std::sync::Mutex<Vec<std::thread::ThreadId>> = std::sync::Mutex::new(Vec::new());

/// Runs `f`, turning a panic into its message, without the panic hook printing it (for this
/// thread only: other threads' panics are reported as usual).
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    let quiet = || {
        QUIET
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let me = std::thread::current().id();
            let expected = QUIET
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .contains(&me);
            if !expected {
                previous(info);
            }
        }));
    });
    let me = std::thread::current().id();
    quiet().push(me);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    quiet().retain(|t| *t != me);
    result.map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "the store could not be read".to_owned())
    })
}

/// Reads every waiting delivery's and dead letter's metadata (never a body) into a schedule.
fn load(db: &Database, path: &Path) -> Result<Index, QueueError> {
    let damaged = |detail: String| QueueError::Damaged {
        path: path.to_owned(),
        detail,
    };
    let rtx = db.begin_read().map_err(|e| damaged(e.to_string()))?;
    let mut index = Index::default();
    for (table, dead) in [(PENDING, false), (DEAD, true)] {
        let t = rtx.open_table(table).map_err(|e| damaged(e.to_string()))?;
        for row in t.iter().map_err(|e| damaged(e.to_string()))? {
            let (k, v) = row.map_err(|e| damaged(e.to_string()))?;
            let meta: Meta = serde_json::from_slice(v.value())
                .map_err(|e| damaged(format!("delivery {}: {e}", k.value())))?;
            if dead {
                index.add_dead(k.value(), &meta);
            } else {
                index.add_pending(k.value(), &meta);
            }
        }
    }
    Ok(index)
}

/// The writer thread's loop: a batch per commit, until `Stop` or every sender is gone.
pub(super) fn run(shared: &Shared, ops: mpsc::Receiver<Op>) {
    let Backend::Embedded(store) = &shared.backend else {
        return;
    };
    while let Ok(first) = ops.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match ops.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let stop = batch.iter().any(|op| matches!(op, Op::Stop));
        commit(shared, store, batch);
        if stop {
            return;
        }
    }
}

/// Where a producer waits for its delivery's id.
type IdReply = oneshot::Sender<Result<u64, QueueError>>;

/// What a committed batch changes in the schedule, and who to answer.
#[derive(Default)]
struct After {
    enqueued: Vec<(u64, Meta, IdReply)>,
    /// Dead letters gone (purged, or the oldest past `max_dead_letters`).
    dropped: Vec<u64>,
    /// Of those, dead letters dropped for room (counted once committed).
    overflowed: u64,
    replayed: Vec<(u64, Meta)>,
    counts: Vec<(oneshot::Sender<Result<usize, QueueError>>, usize)>,
}

fn commit(shared: &Shared, store: &Embedded, batch: Vec<Op>) {
    let sync = batch.iter().any(Op::needs_sync);
    let enqueues = batch
        .iter()
        .filter(|op| matches!(op, Op::Enqueue { .. }))
        .count();
    let started = Instant::now();
    let mut after = After::default();
    let result = write(shared, store, batch, sync, &mut after);
    if sync {
        let m = &shared.metrics;
        m.fsync_seconds.observe(started.elapsed().as_secs_f64());
        if enqueues > 0 {
            m.commit_size.observe(enqueues as f64);
        }
    }
    if let Err(e) = result {
        tracing::error!(path = %store.path.display(), error = %e, "cannot write to the queue store; the deliveries of this batch were not accepted");
        // Each producer gives back the room it reserved when it reads the error.
        for (_, _, reply) in after.enqueued {
            let _ = reply.send(Err(QueueError::Store(e.to_string())));
        }
        for (reply, _) in after.counts {
            let _ = reply.send(Err(QueueError::Store(e.to_string())));
        }
        return;
    }
    {
        let mut index = shared.lock_index();
        for (id, meta, _) in &after.enqueued {
            index.add_pending(*id, meta);
        }
        for id in &after.dropped {
            if let Some(bytes) = index.remove_dead(*id) {
                shared.unreserve(bytes);
            }
        }
        for (id, meta) in &after.replayed {
            index.remove_dead(*id);
            index.add_pending(*id, meta);
        }
    }
    shared.metrics.dead_letters_dropped.inc_by(after.overflowed);
    if !after.enqueued.is_empty() || !after.replayed.is_empty() {
        shared.wake.notify_one();
    }
    for (id, _, reply) in after.enqueued {
        let _ = reply.send(Ok(id));
    }
    for (reply, n) in after.counts {
        let _ = reply.send(Ok(n));
    }
}

fn write(
    shared: &Shared,
    store: &Embedded,
    batch: Vec<Op>,
    sync: bool,
    after: &mut After,
) -> Result<(), redb::Error> {
    let mut tx = store.db.begin_write()?;
    tx.set_durability(if sync {
        Durability::Immediate
    } else {
        Durability::None
    })?;
    {
        let mut pending = tx.open_table(PENDING)?;
        let mut pending_req = tx.open_table(PENDING_REQUEST)?;
        let mut dead = tx.open_table(DEAD)?;
        let mut dead_req = tx.open_table(DEAD_REQUEST)?;
        let mut counters = tx.open_table(COUNTERS)?;
        let mut next = counters.get("next")?.map_or(1, |v| v.value());
        for op in batch {
            match op {
                Op::Enqueue {
                    meta,
                    request,
                    reply,
                } => {
                    let id = next;
                    next += 1;
                    pending.insert(id, json(&meta).as_slice())?;
                    pending_req.insert(id, request.as_slice())?;
                    after.enqueued.push((id, meta, reply));
                }
                Op::Delivered { id } => {
                    pending.remove(id)?;
                    pending_req.remove(id)?;
                }
                Op::Retry { id, meta } => {
                    // Gone meanwhile (purged by a replay race): nothing to update.
                    if pending.get(id)?.is_some() {
                        pending.insert(id, json(&meta).as_slice())?;
                    }
                }
                Op::Dead { id, meta } => {
                    let request = pending_req.remove(id)?.map(|v| v.value().to_vec());
                    pending.remove(id)?;
                    if let Some(request) = request {
                        dead.insert(id, json(&meta).as_slice())?;
                        dead_req.insert(id, request.as_slice())?;
                    }
                    // The list is bounded: the oldest go first.
                    while dead.len()? > shared.config.max_dead_letters as u64 {
                        let Some((k, _)) = dead.pop_first()? else {
                            break;
                        };
                        let k = k.value();
                        dead_req.remove(k)?;
                        tracing::warn!(
                            delivery = k,
                            max_dead_letters = shared.config.max_dead_letters,
                            "dead letter dropped: the list is full (queue.max_dead_letters)"
                        );
                        after.overflowed += 1;
                        after.dropped.push(k);
                    }
                }
                Op::Replay { id, now_ms, reply } => {
                    let mut n = 0;
                    for id in chosen(&dead, id)? {
                        // Read before removing: a dead letter that cannot be read back stays.
                        let meta = dead
                            .get(id)?
                            .and_then(|m| serde_json::from_slice::<Meta>(m.value()).ok());
                        let request = dead_req.get(id)?.map(|v| v.value().to_vec());
                        let (Some(mut meta), Some(request)) = (meta, request) else {
                            continue;
                        };
                        dead.remove(id)?;
                        dead_req.remove(id)?;
                        meta.attempts = 0;
                        meta.due_ms = now_ms;
                        meta.dead_ms = None;
                        meta.dead_reason = None;
                        pending.insert(id, json(&meta).as_slice())?;
                        pending_req.insert(id, request.as_slice())?;
                        after.replayed.push((id, meta));
                        n += 1;
                    }
                    after.counts.push((reply, n));
                }
                Op::Purge { id, reply } => {
                    let mut n = 0;
                    for id in chosen(&dead, id)? {
                        if dead.remove(id)?.is_some() {
                            dead_req.remove(id)?;
                            after.dropped.push(id);
                            n += 1;
                        }
                    }
                    after.counts.push((reply, n));
                }
                Op::Stop => {}
            }
        }
        counters.insert("next", next)?;
    }
    tx.commit()?;
    Ok(())
}

/// The dead letters an admin request names: one, or all (`None`).
fn chosen(dead: &redb::Table<u64, &[u8]>, id: Option<u64>) -> Result<Vec<u64>, redb::Error> {
    match id {
        Some(id) => Ok(vec![id]),
        None => dead
            .iter()?
            .map(|r| r.map(|(k, _)| k.value()).map_err(redb::Error::from))
            .collect(),
    }
}

fn json(meta: &Meta) -> Vec<u8> {
    // A struct of strings and integers always serializes.
    serde_json::to_vec(meta).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_reading_the_store_is_an_error() {
        assert_eq!(quietly(|| 7), Ok(7));
        let e = quietly(|| -> u8 { panic!("Invalid page type byte 165") });
        assert_eq!(e, Err("Invalid page type byte 165".to_owned()));
        let e = quietly(|| -> u8 { std::panic::panic_any(5_u32) });
        assert_eq!(e, Err("the store could not be read".to_owned()));
    }

    #[test]
    fn a_store_that_is_not_a_store_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.redb");
        let junk = vec![0xA5_u8; 64 * 1024];
        std::fs::write(&path, &junk).unwrap();
        match open(&path) {
            Err(QueueError::Damaged { detail, .. }) => assert!(!detail.is_empty()),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("opened a file of junk"),
        }
        assert_eq!(std::fs::read(&path).unwrap(), junk);
    }
}

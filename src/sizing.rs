//! Does the config fit the container's memory? Checked at start (and by `hookgate check`)
//! against the cgroup memory limit, because the failure it prevents is silent until the worst
//! moment: a dedup store sized for ten million ids (~1 GiB) under the chart's 256 MiB limit
//! runs fine for days, then the kernel kills the pod once the store fills, or when a flood of
//! large bodies or of connections arrives.

use std::path::Path;

use crate::config::Config;

/// Memory per remembered delivery id in the memory store (docs/performance.md, "Memory per
/// dedup entry": ~65 B at 100 000 entries, ~72 B at a million), with room for tables that
/// grew by doubling (stores of over four million ids).
pub const DEDUP_BYTES_PER_ENTRY: u64 = 100;

/// The process itself: runtime, pools, buffers, the binary (RSS at start ~18 MB, ~25 MB more
/// under load besides the store), rounded up.
pub const PROCESS_BYTES: u64 = 32 * 1024 * 1024;

/// What an open connection may hold besides its head (hyper's read and write buffers, its
/// task, the kernel-facing socket state the process keeps). Measured on the release binary,
/// 2026-12-04: 2 000 keep-alive connections that had each sent a request took 24.3 KB apiece
/// (13.4 KB before their first request); rounded up.
pub const CONNECTION_BYTES: u64 = 24 * 1024;

/// The queue's store cache (src/queue/store.rs).
pub const QUEUE_CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// Memory the queue's schedule keeps per waiting delivery, and the stored size planned per
/// delivery (a webhook's head and a small body): `queue.max_bytes` of such deliveries waiting.
/// Measured 2026-12-05: 103 B per delivery with a million waiting (the schedule alone);
/// rounded up for the allocator's slack.
pub const QUEUE_BYTES_PER_WAITING: u64 = 150;
pub const QUEUE_PLANNED_DELIVERY_BYTES: u64 = 1024;

/// A route's `rate_limit` table, full (`ratelimit::MAX_SOURCES` sources, sized once).
/// Measured 2026-12-06: 3.2 MiB for a full table (about 50 B a source, the hash table's
/// slack included); rounded up.
pub const RATE_LIMIT_BYTES_PER_ROUTE: u64 = 4 * 1024 * 1024;

/// Heads are read into buffers that grow by doubling: the memory behind
/// `limits.max_header_bytes` may be up to twice the bytes counted.
const HEAD_BUFFER_FACTOR: u64 = 2;

/// Warn when the estimate passes this share of the limit: the kernel counts page cache and
/// allocator slack that the estimate does not.
const WARN_AT_PERCENT: u64 = 90;

/// The memory limit of the cgroup this process runs in, if it has one: cgroup v2
/// (`memory.max`) or v1 (`memory.limit_in_bytes`), at the path `/proc/self/cgroup` names under
/// `root` (the mount point, `/sys/fs/cgroup`), or at `root` itself, which is what a container
/// with its own cgroup namespace (or a bind-mounted v1 hierarchy) sees.
pub fn cgroup_memory_limit(root: &Path, proc_self_cgroup: &str) -> Option<u64> {
    let mut candidates = Vec::new();
    for line in proc_self_cgroup.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let rel = path.trim_start_matches('/');
        if controllers.is_empty() {
            candidates.push(root.join(rel).join("memory.max"));
        } else if controllers.split(',').any(|c| c == "memory") {
            candidates.push(root.join("memory").join(rel).join("memory.limit_in_bytes"));
        }
    }
    candidates.push(root.join("memory.max"));
    candidates.push(root.join("memory").join("memory.limit_in_bytes"));
    candidates
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .find_map(|text| parse_limit(text.trim()))
}

/// A limit as the files write it; `max` (v2) or a value near `i64::MAX` (v1's "unlimited",
/// rounded down to a page) is no limit.
fn parse_limit(text: &str) -> Option<u64> {
    let n: u64 = text.parse().ok()?;
    (n < 1 << 60).then_some(n)
}

/// What the connections may hold at worst: every one open, and the head budget spent.
fn connections(config: &Config) -> u64 {
    let l = &config.startup.limits;
    (l.max_connections as u64)
        .saturating_mul(CONNECTION_BYTES)
        .saturating_add((l.max_header_bytes as u64).saturating_mul(HEAD_BUFFER_FACTOR))
}

/// The queue's store cache and its schedule with `queue.max_bytes` of deliveries waiting.
fn queue(config: &Config) -> u64 {
    // The Redis backend keeps deliveries in Redis; this replica holds a few per route.
    config
        .startup
        .queue
        .as_ref()
        .filter(|q| q.path().is_some())
        .map_or(0, |q| {
            (q.max_bytes / QUEUE_PLANNED_DELIVERY_BYTES)
                .saturating_mul(QUEUE_BYTES_PER_WAITING)
                .saturating_add(QUEUE_CACHE_BYTES)
        })
}

/// The rate limiters' tables, all full.
fn rate_limits(config: &Config) -> u64 {
    let limited = config
        .live
        .routes
        .iter()
        .filter(|r| r.rate_limit.is_some())
        .count() as u64;
    limited.saturating_mul(RATE_LIMIT_BYTES_PER_ROUTE)
}

/// What the config may hold in memory at worst: request bodies up to `limits.max_buffered`,
/// the memory dedup store full, the queue full, the connections and their unfinished heads,
/// and the process.
pub fn estimate(config: &Config) -> u64 {
    let store = if config.startup.dedup.redis.is_none() {
        config
            .startup
            .dedup
            .max_entries
            .saturating_mul(DEDUP_BYTES_PER_ENTRY)
    } else {
        0
    };
    (config.live.limits.max_buffered as u64)
        .saturating_add(store)
        .saturating_add(rate_limits(config))
        .saturating_add(queue(config))
        .saturating_add(connections(config))
        .saturating_add(PROCESS_BYTES)
}

/// A warning saying what to change, when the config's worst case does not fit `limit`.
pub fn memory_warning(config: &Config, limit: u64) -> Option<String> {
    let need = estimate(config);
    if need.saturating_mul(100) <= limit.saturating_mul(WARN_AT_PERCENT) {
        return None;
    }
    let store = if config.startup.dedup.redis.is_none() {
        format!(
            " + ~{} for {} dedup ids (dedup.max_entries, ~{DEDUP_BYTES_PER_ENTRY} B each)",
            mib(config
                .startup
                .dedup
                .max_entries
                .saturating_mul(DEDUP_BYTES_PER_ENTRY)),
            config.startup.dedup.max_entries
        )
    } else {
        String::new()
    };
    let queued = match config.startup.queue.as_ref().filter(|q| q.path().is_some()) {
        Some(q) => format!(
            " + ~{} for the queue (queue.max_bytes {} of ~{QUEUE_PLANNED_DELIVERY_BYTES} B deliveries waiting, ~{QUEUE_BYTES_PER_WAITING} B of memory each, and its cache)",
            mib(queue(config)),
            mib(q.max_bytes),
        ),
        None => String::new(),
    };
    let limits = match rate_limits(config) {
        0 => String::new(),
        bytes => format!(
            " + ~{} for the routes' rate_limit tables (~{} each, full)",
            mib(bytes),
            mib(RATE_LIMIT_BYTES_PER_ROUTE)
        ),
    };
    Some(format!(
        "this container's memory limit is {}, and hookgate may need ~{} at worst: {} of request bodies (limits.max_buffered){store}{limits}{queued} + ~{} for connections and their unfinished heads (limits.max_connections, limits.max_header_bytes) + ~{} for the process; past the limit the kernel kills it. Raise the memory limit, or lower those settings",
        mib(limit),
        mib(need),
        mib(config.live.limits.max_buffered as u64),
        mib(connections(config)),
        mib(PROCESS_BYTES),
    ))
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes.div_ceil(1024 * 1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> Config {
        let text = format!(
            "upstream: {{ url: http://127.0.0.1:3000 }}\n{extra}\nroutes:\n  - {{ name: g, path: /g, provider: github, secrets: [ {{ env: S }} ] }}\n"
        );
        crate::config::parse(
            &text,
            "t.yaml",
            Path::new("."),
            &|_: &str| Some("s".to_owned()),
            crate::config::Secrets::Load,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_full_queue_counts_its_schedule_and_cache() {
        let mib = 1024 * 1024;
        let base = estimate(&config(""));
        let q = config("queue: { path: /tmp/q.redb, max_bytes: 100MiB }");
        assert_eq!(
            estimate(&q) - base,
            100 * 1024 * QUEUE_BYTES_PER_WAITING + QUEUE_CACHE_BYTES
        );
        let big = config("queue: { path: /tmp/q.redb, max_bytes: 1GiB }");
        let w = memory_warning(&big, 256 * mib).expect("1 GiB of waiting deliveries");
        assert!(w.contains("for the queue (queue.max_bytes 1024 MiB"), "{w}");
        assert_eq!(memory_warning(&q, 512 * mib), None);
    }

    #[test]
    fn rate_limited_routes_count_their_full_tables() {
        let base = estimate(&config(""));
        let text = "upstream: { url: http://127.0.0.1:3000 }\nroutes:\n  - { name: g, path: /g, provider: github, secrets: [ { env: S } ], rate_limit: { rate: 10/s } }\n  - { name: h, path: /h, provider: github, secrets: [ { env: S } ], rate_limit: { rate: 1/s } }\n";
        let limited = crate::config::parse(
            text,
            "t.yaml",
            Path::new("."),
            &|_: &str| Some("s".to_owned()),
            crate::config::Secrets::Load,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(estimate(&limited) - base, 2 * RATE_LIMIT_BYTES_PER_ROUTE);
        let w = memory_warning(&limited, 64 * 1024 * 1024).expect("over 64 MiB");
        assert!(
            w.contains("+ ~8 MiB for the routes' rate_limit tables"),
            "{w}"
        );
    }

    #[test]
    fn a_store_too_large_for_the_limit_is_named_with_the_numbers() {
        let mib = 1024 * 1024;
        // Defaults: 64 MiB of bodies + 100 000 ids (~43 MiB) + 2 048 connections (32 MiB) and
        // 16 MiB of heads (32 MiB) + 32 MiB: fits 256 MiB.
        assert_eq!(memory_warning(&config(""), 256 * mib), None);
        let big = config("dedup: { max_entries: 1000000 }");
        let w = memory_warning(&big, 256 * mib).expect("a million ids do not fit 256 MiB");
        assert!(w.contains("limit is 256 MiB"), "{w}");
        assert!(w.contains("1000000 dedup ids (dedup.max_entries"), "{w}");
        assert!(
            w.contains("64 MiB of request bodies (limits.max_buffered)"),
            "{w}"
        );
        assert_eq!(memory_warning(&big, 1024 * mib), None);
        // Within 10% of the limit is already too close.
        let need = estimate(&config(""));
        assert!(memory_warning(&config(""), need).is_some());
        assert!(memory_warning(&config(""), need * 100 / 90 + 1).is_none());
        // With Redis there is no store in the process.
        let redis = config(
            "dedup: { backend: redis, max_entries: 1000000, redis: { url: \"redis://r:6379\" } }",
        );
        assert_eq!(
            estimate(&redis),
            64 * mib + 2048 * CONNECTION_BYTES + 2 * 16 * mib + PROCESS_BYTES
        );
        // Connections count: twice as many, twice their share.
        let more = config("limits: { max_connections: 4096, max_header_bytes: 32MiB }");
        assert_eq!(
            estimate(&more) - estimate(&config("")),
            2048 * CONNECTION_BYTES + 2 * 16 * mib
        );
    }

    /// Writes `text` at `rel` under `root`, as the kernel shows a cgroup file.
    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn the_limit_is_read_where_proc_self_cgroup_says_or_at_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // Nothing mounted: no limit.
        assert_eq!(cgroup_memory_limit(root, "0::/\n"), None);
        // v2, own namespace: the root's memory.max.
        write(root, "memory.max", "268435456\n");
        assert_eq!(cgroup_memory_limit(root, "0::/\n"), Some(268_435_456));
        // v2 without a namespace: the process's group, not the root.
        write(root, "kubepods/pod1/memory.max", "134217728\n");
        assert_eq!(
            cgroup_memory_limit(root, "0::/kubepods/pod1\n"),
            Some(134_217_728)
        );
        write(root, "kubepods/pod2/memory.max", "max\n");
        assert_eq!(
            cgroup_memory_limit(root, "0::/kubepods/pod2\n"),
            Some(268_435_456),
            "an unlimited group falls back to the root's"
        );

        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // v1: the memory controller's line, "unlimited" is a huge number.
        let v1 = "4:memory:/process_api/abc\n3:cpuset:/\n0::/\n";
        write(
            root,
            "memory/memory.limit_in_bytes",
            "9223372036854771712\n",
        );
        assert_eq!(cgroup_memory_limit(root, v1), None);
        write(
            root,
            "memory/process_api/abc/memory.limit_in_bytes",
            "536870912\n",
        );
        assert_eq!(cgroup_memory_limit(root, v1), Some(536_870_912));
    }
}

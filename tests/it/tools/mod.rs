//! Tests that drive external tools: `redis-server`, `helm` (and Helm 3), `kubernetes-validate`,
//! `promtool` and Prometheus. `bash .ci/run` installs them and CI runs these with the rest;
//! outside CI a missing tool makes its test print SKIPPED. Run only the fast suite with
//! `cargo test -- --skip tools::`, only these with `cargo test tools::`.

mod chart;
mod faults;
mod metrics;
mod redis;

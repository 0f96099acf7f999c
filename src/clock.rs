//! The wall clock, injected so tests can replay signed fixtures at the time they were signed.

use std::sync::Arc;
use std::time::SystemTime;

/// What time it is; `system_clock()` in a real run.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(SystemTime::now)
}

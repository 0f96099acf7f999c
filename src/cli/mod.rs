//! The binary's own commands, beside `run`: they use the library as any user of it would.

pub mod check;
pub mod demo;
pub mod queue;
pub mod send_test;
pub mod sign;

/// Writes a command's report to stdout. A reader that stopped early (`hookgate check | head`)
/// is not an error: `print!` would panic on the closed pipe.
pub fn emit(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

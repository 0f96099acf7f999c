//! The binary's own commands, beside `run`: they use the library as any user of it would.

pub mod check;
pub mod demo;
pub mod queue;
pub mod send_test;
pub mod sign;

//! Integration tests: the real proxy on 127.0.0.1:0, a recording upstream, real HTTP clients.

mod harness;
mod limits;
mod process;
mod proxy;
mod vectors;

//! The PROXY protocol header parser (v1 and v2), fed as the listener feeds it: only the bytes
//! it asks for. No panic, never a request for zero bytes, and a header's length is exactly
//! what was read (the reader never takes a byte of the HTTP request after it).

#![no_main]

use libfuzzer_sys::fuzz_target;

use hookgate::peer::{parse_proxy, Proxy};

fuzz_target!(|data: &[u8]| {
    let mut n = 0;
    loop {
        match parse_proxy(&data[..n]) {
            Ok(Proxy::Need(k)) => {
                assert!(k > 0);
                if n + k > data.len() {
                    break;
                }
                n += k;
            }
            Ok(Proxy::Done { len, .. }) => {
                assert_eq!(len, n);
                break;
            }
            Err(_) => break,
        }
        assert!(n <= 16 + 4096);
    }
    let _ = parse_proxy(data);
});

//! Form canonicalisation (what Twilio signs): no panic, and the same parameters in another
//! order give the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;

use hookgate::verify::canonical_form;

fuzz_target!(|data: &[u8]| {
    let once = canonical_form(data);
    let mut pairs: Vec<&[u8]> = data.split(|&b| b == b'&').collect();
    pairs.reverse();
    let reversed = pairs.join(&b'&');
    assert_eq!(once, canonical_form(&reversed));
});

//! `?format=` and `Accept`: the format negotiation of the endpoint. Input: the
//! `?format=` value on the first line (none when the line is empty), the `Accept`
//! header after it (none when there is no line break).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let input = String::from_utf8_lossy(input);
    let (format, accept) = match input.split_once('\n') {
        Some((format, accept)) => ((!format.is_empty()).then_some(format), Some(accept)),
        None => (None, None),
    };
    healthz::fuzzing::negotiate(format, accept);
    healthz::fuzzing::negotiate(None, accept);
});

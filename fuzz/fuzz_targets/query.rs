//! The sub-path (group) and the query string of a request to the endpoint. Input: the
//! sub-path on the first line, the query string after it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let input = String::from_utf8_lossy(input);
    let (sub_path, query) = input.split_once('\n').unwrap_or((&input, ""));
    healthz::fuzzing::query(sub_path, query);
});

//! The memcached check's reader of reply lines. Input: what the server answers to the
//! probe of the key `healthz:00000000000000000000000000000001` and the value
//! `0123456789abcdef0123456789abcdef`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|replies: &[u8]| {
    healthz::fuzzing::memcached(replies);
});

//! The remote check's reader of another endpoint's JSON or health+json answer. Input:
//! `<status> <content type>` on the first line (no content type when there is none),
//! the body after it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let split = input.iter().position(|&byte| byte == b'\n');
    let (head, body) = match split {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => (&b""[..], input),
    };
    let head = String::from_utf8_lossy(head);
    let (status, media_type) = match head.split_once(' ') {
        Some((status, media_type)) => (status, Some(media_type)),
        None => (&*head, None),
    };
    let status = status.parse().unwrap_or(200);
    healthz::fuzzing::remote(status, media_type, body);
});

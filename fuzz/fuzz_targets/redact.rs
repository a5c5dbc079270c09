//! URL redaction. Input: any text, redacted whole; its lines are also the scheme, user,
//! password and host of a URL whose tail (path, query, fragment) is the rest, and whose
//! password must not survive redaction.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let input = String::from_utf8_lossy(input);
    healthz::fuzzing::redact_url(&input);
    let mut parts = input.splitn(5, '\n');
    let mut next = || parts.next().unwrap_or_default();
    let (scheme, user, password, host, tail) = (next(), next(), next(), next(), next());
    healthz::fuzzing::redact_password(scheme, user, password, host, tail);
});

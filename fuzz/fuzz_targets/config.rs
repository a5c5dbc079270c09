//! The config loader of the binary: TOML, `${VAR}` interpolation, validation. Input: a
//! config file (the environment sets `FUZZ_SECRET` and `FUZZ_EMPTY` only).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    healthz_cli::fuzzing::config(&String::from_utf8_lossy(input));
});

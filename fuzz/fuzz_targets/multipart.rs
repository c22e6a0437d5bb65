//! Fuzz target: see `meldpunt::fuzzing::multipart`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meldpunt::fuzzing::multipart(data));

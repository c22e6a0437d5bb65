//! Fuzz target: see `meldpunt::fuzzing::open311_form`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meldpunt::fuzzing::open311_form(data));

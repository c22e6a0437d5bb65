//! Fuzz target: see `meldpunt::fuzzing::photo`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meldpunt::fuzzing::photo(data));

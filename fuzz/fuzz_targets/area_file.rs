//! Fuzz target: see `meldpunt::fuzzing::area_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meldpunt::fuzzing::area_file(data));

//! Fuzz target: see `meldpunt::fuzzing::history_import`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meldpunt::fuzzing::history_import(data));

//! Fuzz target: see `meldpunt::fuzzing::map_query`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meldpunt::fuzzing::map_query(data));

//! Fuzz target: see `meldpunt::fuzzing::rule_spec`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| meldpunt::fuzzing::rule_spec(data));

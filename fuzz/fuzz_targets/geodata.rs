//! libFuzzer target `geodata`: one input through [`frontline_fuzz::geodata`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| frontline_fuzz::geodata(data));

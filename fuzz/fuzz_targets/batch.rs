//! libFuzzer target `batch`: one input through [`frontline_fuzz::batch`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| frontline_fuzz::batch(data));

//! libFuzzer target `params`: one input through [`frontline_fuzz::params`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| frontline_fuzz::params(data));

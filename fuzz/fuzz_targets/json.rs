//! Reading money from arbitrary bytes: never a panic, and an accepted
//! amount is exactly the value written (by name in an object, by position in
//! an array). Run by hand: `cargo +nightly fuzz run json` (see the README).
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../oracle.rs");

fuzz_target!(|bytes: &[u8]| {
    check(bytes);
});

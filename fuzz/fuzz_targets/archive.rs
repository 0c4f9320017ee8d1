//! Fuzzes the archive lister: zip, 7z, RAR (every version `rars` reads), tar and
//! gzip, nested, under the bounds of `sluice_core::archive`. Seeds: the fixture
//! archives of `tests/data/attachments/archives/` (see `seed.sh`). Nothing may
//! panic, hang or allocate past the bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_core::archive::{Budget, inspect, sniff};

fuzz_target!(|bytes: &[u8]| {
    if sniff(bytes).is_none() {
        return;
    }
    let mut budget = Budget::default();
    let mut entries = 0usize;
    inspect("fuzz", bytes, &mut budget, &mut |_| {
        entries += 1;
        false
    });
    assert!(entries <= sluice_core::archive::MAX_ENTRIES_PER_MESSAGE);
});

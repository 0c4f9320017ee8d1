//! A million reported spams, made up, for the benchmarks that need a loaded
//! fingerprint index (`bench/fingerprints.rs`, `bench/reputation.rs`): random
//! digests and MinHash signatures, a contact address and a URL domain each, their
//! ages spread over 29 days. Reproducible (splitmix64 from a fixed seed).

use sluice_core::fingerprints::index::DAY_MS;
use sluice_core::fingerprints::minhash::HASHES;
use sluice_core::fingerprints::{FingerprintIndex, Fingerprints, Signature, UceppItem};

/// splitmix64, for reproducible synthetic reports.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Adds `reports` made-up reports to `index`, as of `now_ms`.
pub(crate) fn add_synthetic_reports(index: &mut FingerprintIndex, reports: u64, now_ms: i64) {
    let mut state = 19;
    for n in 0..reports {
        let mut signature = [0u16; HASHES];
        for value in &mut signature {
            *value = next(&mut state) as u16;
        }
        let report = Fingerprints {
            body_digests: vec![next(&mut state)],
            signature: Some(Signature(signature)),
            contacts: vec![format!("drop{}@spam{}.example", n % 50_000, n % 997)],
            items: vec![UceppItem::Domain(format!("site{}.example", n % 200_000))],
            via_list: false,
        };
        let age = (next(&mut state) % (29 * DAY_MS as u64)) as i64;
        index.add(&report, now_ms - age);
    }
}

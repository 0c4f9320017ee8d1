//! The fingerprints of recently reported spam, in memory, for lookups in
//! microseconds: hash maps from match-set1 digests, contact addresses and UCEPP
//! items to the reports holding them, and for match-set2 one map from each LSH
//! band key to the newest report with that key, the older ones chained through
//! the reports themselves (never a scan of all signatures).
//!
//! Reports are applied in the order of the store's rows, so every node that
//! applied the same rows holds the same index. A report goes when it is older
//! than the retention, when more than `max_reports` are held (the oldest first),
//! or when a released message matches it ([`FingerprintIndex::forget`]). Gone
//! reports stay in the maps, marked, until they outnumber the living ones; then
//! the maps are rebuilt.

use std::collections::HashMap;

use super::minhash::{BANDS, Signature};
use super::{Fingerprints, UceppItem, contact_key};

/// No report: the end of a band chain.
const NONE: u32 = u32::MAX;
/// Band-chain entries followed per band in one lookup: the newest reports come
/// first, and a campaign reported ten thousand times must not make every
/// lookup walk ten thousand entries.
const CHAIN_STEPS: usize = 64;
/// Reports summed for one UCEPP item's weight (newest first).
const ITEM_REPORTS: usize = 64;
/// The most digests, contacts and items each kept of one report.
const MAX_KEYS: usize = 64;

/// Bounds of the index (the documented defaults: 30 days, a million reports,
/// UCEPP counts halved every 7 days).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IndexLimits {
    /// Reports older than this (ms) no longer count.
    pub retention_ms: i64,
    /// The most reports held; beyond it the oldest go.
    pub max_reports: usize,
    /// A UCEPP item's count from one report halves every `half_life_ms`.
    pub half_life_ms: i64,
    /// match-set2 similarity at or above which a released message takes a
    /// report with it (the check's threshold).
    pub forget_similarity: f64,
}

pub const DAY_MS: i64 = 24 * 3600 * 1000;

impl Default for IndexLimits {
    fn default() -> IndexLimits {
        IndexLimits { retention_ms: 30 * DAY_MS, max_reports: 1_000_000, half_life_ms: 7 * DAY_MS, forget_similarity: 0.8 }
    }
}

/// What the index knows about one message: the fact the fingerprint checks judge.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FingerprintMatches {
    /// A match-set1 digest of the message is a reported spam's.
    pub body_digest: bool,
    /// The highest match-set2 similarity with a reported spam among the candidates
    /// the bands found.
    pub similarity: Option<f64>,
    /// The message's contact addresses seen in reported spam.
    pub contacts: Vec<String>,
    /// The message's UCEPP items seen in reported spam, with their decayed count
    /// (1.0 for one report today).
    pub items: Vec<(UceppItem, f64)>,
    /// The most of the message's UCEPP items one reported spam held (among the
    /// newest reports of each item).
    pub items_in_one_report: usize,
}

struct Report {
    at_ms: i64,
    alive: bool,
    signature: Option<Signature>,
    /// The previous report with the same key, per band.
    next_in_band: [u32; BANDS],
    /// The digests, then the contacts' keys, then the items' keys: one
    /// allocation a report (a million reports are held).
    keys: Box<[u64]>,
    digest_count: u16,
    contact_count: u16,
}

impl Report {
    fn digests(&self) -> &[u64] {
        &self.keys[..usize::from(self.digest_count)]
    }

    fn contacts(&self) -> &[u64] {
        &self.keys[usize::from(self.digest_count)..usize::from(self.digest_count + self.contact_count)]
    }

    fn items(&self) -> &[u64] {
        &self.keys[usize::from(self.digest_count + self.contact_count)..]
    }
}

/// The reports holding one key, oldest first; most keys have one, held without
/// an allocation of its own.
#[derive(Debug)]
enum Postings {
    One([u32; 1]),
    Many(Vec<u32>),
}

impl Postings {
    fn push(&mut self, slot: u32) {
        match self {
            Postings::One([first]) => *self = Postings::Many(vec![*first, slot]),
            Postings::Many(slots) => slots.push(slot),
        }
    }
}

impl std::ops::Deref for Postings {
    type Target = [u32];

    fn deref(&self) -> &[u32] {
        match self {
            Postings::One(slot) => slot,
            Postings::Many(slots) => slots,
        }
    }
}

/// Adds `slot` to the postings of `key`.
fn post(map: &mut HashMap<u64, Postings>, key: u64, slot: u32) {
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(mut entry) => entry.get_mut().push(slot),
        std::collections::hash_map::Entry::Vacant(entry) => {
            entry.insert(Postings::One([slot]));
        }
    }
}

/// See the module documentation.
pub struct FingerprintIndex {
    limits: IndexLimits,
    reports: Vec<Report>,
    /// Every report before this slot is gone.
    oldest: usize,
    live: usize,
    digests: HashMap<u64, Postings>,
    band_heads: HashMap<u32, u32>,
    contacts: HashMap<u64, Postings>,
    items: HashMap<u64, Postings>,
}

impl Default for FingerprintIndex {
    fn default() -> FingerprintIndex {
        FingerprintIndex::new(IndexLimits::default())
    }
}

impl FingerprintIndex {
    pub fn new(limits: IndexLimits) -> FingerprintIndex {
        FingerprintIndex {
            limits,
            reports: Vec::new(),
            oldest: 0,
            live: 0,
            digests: HashMap::new(),
            band_heads: HashMap::new(),
            contacts: HashMap::new(),
            items: HashMap::new(),
        }
    }

    /// Reports held.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Adds a reported spam's fingerprints, reported at `at_ms`.
    pub fn add(&mut self, fingerprints: &Fingerprints, at_ms: i64) {
        if fingerprints.is_empty() {
            return;
        }
        let digests = &fingerprints.body_digests[..fingerprints.body_digests.len().min(MAX_KEYS)];
        let mut keys: Vec<u64> = digests.to_vec();
        if !fingerprints.via_list {
            keys.extend(fingerprints.contacts.iter().take(MAX_KEYS).map(|address| contact_key(address)));
        }
        let contact_count = keys.len() - digests.len();
        if !fingerprints.via_list {
            keys.extend(fingerprints.items.iter().take(MAX_KEYS).map(UceppItem::key));
        }
        let report = Report {
            at_ms,
            alive: true,
            signature: fingerprints.signature,
            next_in_band: [NONE; BANDS],
            keys: keys.into_boxed_slice(),
            digest_count: digests.len() as u16,
            contact_count: contact_count as u16,
        };
        self.insert(report);
        self.live += 1;
        while self.live > self.limits.max_reports {
            self.drop_oldest();
        }
        self.rebuild_when_sparse();
    }

    /// Un-learns a released (or reported-as-ham) message: every report it matches
    /// by body digest or by similarity at or above the threshold goes, and its
    /// contact addresses and UCEPP items no longer count (until reported again).
    /// Returns the reports that went.
    pub fn forget(&mut self, fingerprints: &Fingerprints) -> usize {
        let mut gone: Vec<u32> = Vec::new();
        for digest in &fingerprints.body_digests {
            gone.extend(self.digests.get(digest).map(|slots| slots.iter()).into_iter().flatten());
        }
        if let Some(signature) = &fingerprints.signature {
            for band in 0..BANDS {
                let mut slot = self.band_heads.get(&signature.band_key(band)).copied().unwrap_or(NONE);
                while slot != NONE {
                    let report = &self.reports[slot as usize];
                    if report.signature.is_some_and(|other| other.similarity(signature) >= self.limits.forget_similarity) {
                        gone.push(slot);
                    }
                    slot = report.next_in_band[band];
                }
            }
        }
        let mut count = 0;
        for slot in gone {
            let report = &mut self.reports[slot as usize];
            if report.alive {
                report.alive = false;
                self.live -= 1;
                count += 1;
            }
        }
        for address in &fingerprints.contacts {
            self.contacts.remove(&contact_key(address));
        }
        for item in &fingerprints.items {
            self.items.remove(&item.key());
        }
        self.rebuild_when_sparse();
        count
    }

    /// Drops the reports past the retention at `now_ms`.
    pub fn expire(&mut self, now_ms: i64) {
        let horizon = now_ms - self.limits.retention_ms;
        while self.oldest < self.reports.len() && self.reports[self.oldest].at_ms < horizon {
            self.drop_oldest();
        }
        self.rebuild_when_sparse();
    }

    /// What the index knows about a message, at `now_ms`.
    pub fn lookup(&self, fingerprints: &Fingerprints, now_ms: i64) -> FingerprintMatches {
        let horizon = now_ms - self.limits.retention_ms;
        let usable = |slot: u32| {
            let report = &self.reports[slot as usize];
            report.alive && report.at_ms >= horizon
        };
        let body_digest = fingerprints
            .body_digests
            .iter()
            .any(|digest| self.digests.get(digest).is_some_and(|slots| slots.iter().rev().any(|&slot| usable(slot))));
        let similarity = fingerprints.signature.as_ref().and_then(|signature| {
            let mut best: Option<f64> = None;
            for band in 0..BANDS {
                let mut slot = self.band_heads.get(&signature.band_key(band)).copied().unwrap_or(NONE);
                let mut steps = 0;
                while slot != NONE && steps < CHAIN_STEPS {
                    let report = &self.reports[slot as usize];
                    if usable(slot) && let Some(other) = &report.signature {
                        let similarity = other.similarity(signature);
                        best = Some(best.map_or(similarity, |best| best.max(similarity)));
                    }
                    slot = report.next_in_band[band];
                    steps += 1;
                }
            }
            best
        });
        let contacts = fingerprints
            .contacts
            .iter()
            .filter(|address| {
                self.contacts.get(&contact_key(address)).is_some_and(|slots| slots.iter().rev().any(|&slot| usable(slot)))
            })
            .cloned()
            .collect();
        let mut per_report: HashMap<u32, usize> = HashMap::new();
        let items = fingerprints
            .items
            .iter()
            .filter_map(|item| {
                let slots = self.items.get(&item.key())?;
                let mut weight = 0.0;
                for &slot in slots.iter().rev().filter(|&&slot| usable(slot)).take(ITEM_REPORTS) {
                    weight += self.decay(now_ms - self.reports[slot as usize].at_ms);
                    *per_report.entry(slot).or_default() += 1;
                }
                (weight > 0.0).then(|| (item.clone(), weight))
            })
            .collect();
        let items_in_one_report = per_report.values().copied().max().unwrap_or(0);
        FingerprintMatches { body_digest, similarity, contacts, items, items_in_one_report }
    }

    /// One report's weight after `age_ms`: 1 today, halved every half-life.
    fn decay(&self, age_ms: i64) -> f64 {
        let half_lives = age_ms.max(0) as f64 / self.limits.half_life_ms.max(1) as f64;
        0.5f64.powf(half_lives)
    }

    fn insert(&mut self, mut report: Report) {
        let slot = self.reports.len() as u32;
        for &digest in report.digests() {
            post(&mut self.digests, digest, slot);
        }
        for &contact in report.contacts() {
            post(&mut self.contacts, contact, slot);
        }
        for &item in report.items() {
            post(&mut self.items, item, slot);
        }
        if let Some(signature) = &report.signature {
            for band in 0..BANDS {
                report.next_in_band[band] = self.band_heads.insert(signature.band_key(band), slot).unwrap_or(NONE);
            }
        }
        self.reports.push(report);
    }

    fn drop_oldest(&mut self) {
        if let Some(report) = self.reports.get_mut(self.oldest) {
            if report.alive {
                report.alive = false;
                self.live -= 1;
            }
            self.oldest += 1;
        }
    }

    /// Rebuilds the maps from the living reports once the gone ones outnumber them.
    fn rebuild_when_sparse(&mut self) {
        let gone = self.reports.len() - self.live;
        if gone < 1024 || gone <= self.live {
            return;
        }
        let reports = std::mem::take(&mut self.reports);
        self.digests.clear();
        self.band_heads.clear();
        self.contacts.clear();
        self.items.clear();
        self.oldest = 0;
        for report in reports.into_iter().filter(|report| report.alive) {
            self.insert(Report { next_in_band: [NONE; BANDS], ..report });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(seed: u16) -> Signature {
        let mut values = [0u16; super::super::minhash::HASHES];
        for (index, value) in values.iter_mut().enumerate() {
            *value = seed.wrapping_mul(31).wrapping_add((index as u16).wrapping_mul(7919));
        }
        Signature(values)
    }

    fn report(digest: u64, seed: u16) -> Fingerprints {
        Fingerprints {
            body_digests: vec![digest],
            signature: Some(signature(seed)),
            contacts: vec![format!("drop{seed}@scam.example")],
            items: vec![UceppItem::Domain(format!("scam{seed}.example"))],
            via_list: false,
        }
    }

    #[test]
    fn a_reported_message_is_found_by_each_fingerprint() {
        let mut index = FingerprintIndex::default();
        index.add(&report(1, 1), 0);
        let matches = index.lookup(&report(1, 1), 1000);
        assert!(matches.body_digest);
        assert_eq!(matches.similarity, Some(1.0));
        assert_eq!(matches.contacts, ["drop1@scam.example"]);
        assert_eq!((matches.items.len(), matches.items_in_one_report), (1, 1));
        assert!((matches.items[0].1 - 1.0).abs() < 1e-4);
        assert_eq!(index.lookup(&report(2, 2), 1000), FingerprintMatches::default());
    }

    #[test]
    fn a_similar_signature_is_found_through_one_band() {
        let mut index = FingerprintIndex::default();
        index.add(&report(1, 1), 0);
        let mut similar = signature(1);
        for value in &mut similar.0[5..] {
            *value ^= 1;
        }
        let probe = Fingerprints { signature: Some(similar), ..Fingerprints::default() };
        assert_eq!(index.lookup(&probe, 0).similarity, Some(5.0 / 64.0), "the first band agrees");
    }

    #[test]
    fn list_mail_teaches_its_body_only() {
        let mut index = FingerprintIndex::default();
        index.add(&Fingerprints { via_list: true, ..report(1, 1) }, 0);
        let matches = index.lookup(&report(1, 1), 0);
        assert!(matches.body_digest && matches.contacts.is_empty() && matches.items.is_empty(), "{matches:?}");
    }

    #[test]
    fn counts_decay_and_reports_expire() {
        let mut index = FingerprintIndex::default();
        index.add(&report(1, 1), 0);
        let week = index.lookup(&report(1, 1), 7 * DAY_MS);
        assert!((week.items[0].1 - 0.5).abs() < 1e-6, "{week:?}");
        assert!(index.lookup(&report(1, 1), 31 * DAY_MS).items.is_empty(), "past the retention");
        index.expire(31 * DAY_MS);
        assert!(index.is_empty());
    }

    #[test]
    fn a_release_takes_the_matching_reports_and_items_with_it() {
        let mut index = FingerprintIndex::default();
        index.add(&report(1, 1), 0);
        index.add(&report(2, 2), 0);
        assert_eq!(index.forget(&report(1, 1)), 1);
        assert_eq!(index.lookup(&report(1, 1), 0), FingerprintMatches::default());
        assert!(index.lookup(&report(2, 2), 0).body_digest, "the other report stays");
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn the_oldest_reports_go_beyond_the_cap_and_the_maps_are_rebuilt() {
        let mut index = FingerprintIndex::new(IndexLimits { max_reports: 10, ..IndexLimits::default() });
        for n in 0..3000u64 {
            index.add(&report(n, n as u16), n as i64);
        }
        assert_eq!(index.len(), 10);
        assert!(!index.lookup(&report(2989, 2989), 3000).body_digest);
        assert!(index.lookup(&report(2990, 2990), 3000).body_digest);
        assert!(index.reports.len() < 2100, "rebuilt: {}", index.reports.len());
    }
}

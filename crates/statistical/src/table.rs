//! The table both models keep their features in: open addressing with linear
//! probing, keyed by feature id, the id and its value side by side in one slot.
//!
//! Scoring looks up every feature of a message (over a thousand) in tables of tens
//! of megabytes, so nearly every lookup is a cache miss. One slot per feature puts
//! the id and the value on the same cache line, and [`FeatureTable::lookups`] asks
//! for the slot of the id some places ahead while it probes the current one, so
//! the misses overlap instead of following one another.
//!
//! The ids are hashes of attacker-chosen text: a slot taken from the id alone would
//! let an attacker pick text whose ids fill one run of slots and make every probe
//! walk it. The slot of an id is therefore its hash under a key drawn at random per
//! table (foldhash, as std's `HashMap` does with SipHash). Nothing else depends on
//! where an entry sits: [`FeatureTable::iter`] and [`FeatureTable::retain`] visit
//! entries in an order that differs from process to process, so callers that must
//! agree across nodes sort what they collect.
//!
//! Removal shifts the entries that follow back into the hole (no tombstones), so a
//! table that keeps learning and forgetting does not slow down. The load stays at
//! most 1/2 (the table doubles past it, and never shrinks): a load up to 3/4 would
//! need half the memory, but its longer probes measured ~10 % slower lookups in the
//! global model and ~25 % in the cluster model (`examples/speed.rs`).

use std::fmt;
use std::hash::BuildHasher;

/// The id that marks a free slot; the feature with this id lives in `zero`.
const EMPTY: u64 = 0;

/// How many ids ahead [`FeatureTable::lookups`] prefetches: far enough for the slot
/// to arrive from memory before it is probed, near enough that it is still cached
/// then (8 and 32 measured slower).
const FETCH_AHEAD: usize = 16;

#[derive(Clone, Copy, Default)]
struct Slot<V> {
    id: u64,
    value: V,
}

/// A map from feature ids to `V`.
#[derive(Clone)]
pub(crate) struct FeatureTable<V> {
    /// A power of two of them, or none before the first insertion.
    slots: Vec<Slot<V>>,
    /// The value of the feature whose id is [`EMPTY`].
    zero: Option<V>,
    /// Entries, `zero` included.
    len: usize,
    hasher: foldhash::quality::RandomState,
}

impl<V> Default for FeatureTable<V> {
    fn default() -> FeatureTable<V> {
        FeatureTable { slots: Vec::new(), zero: None, len: 0, hasher: Default::default() }
    }
}

impl<V: Copy + Default> FeatureTable<V> {
    /// An empty table that holds `entries` without growing.
    pub(crate) fn with_capacity(entries: usize) -> FeatureTable<V> {
        let mut table = FeatureTable::default();
        if entries > 0 {
            table.slots = vec![Slot::default(); slots_for(entries)];
        }
        table
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn get(&self, id: u64) -> Option<&V> {
        if id == EMPTY {
            return self.zero.as_ref();
        }
        self.probe(id).ok().map(|index| &self.slots[index].value)
    }

    /// The value of each of `ids`, in order: [`Self::get`] of each, with the slots
    /// of the ids [`FETCH_AHEAD`] places on already on their way from memory.
    pub(crate) fn lookups<'a>(&'a self, ids: &'a [u64]) -> impl ExactSizeIterator<Item = Option<&'a V>> + 'a {
        for &id in ids.iter().take(FETCH_AHEAD) {
            self.prefetch_slot_of(id);
        }
        ids.iter().enumerate().map(move |(index, &id)| {
            if let Some(&ahead) = ids.get(index + FETCH_AHEAD) {
                self.prefetch_slot_of(ahead);
            }
            self.get(id)
        })
    }

    /// The value of `id`, inserted as `V::default()` if absent.
    pub(crate) fn get_or_insert_default(&mut self, id: u64) -> &mut V {
        if id == EMPTY {
            if self.zero.is_none() {
                self.len += 1;
            }
            return self.zero.get_or_insert_default();
        }
        let index = match self.probe(id) {
            Ok(index) => index,
            Err(free) => {
                let free = if self.is_full() {
                    self.grow();
                    self.probe(id).expect_err("absent before growing")
                } else {
                    free
                };
                self.slots[free] = Slot { id, value: V::default() };
                self.len += 1;
                free
            }
        };
        &mut self.slots[index].value
    }

    pub(crate) fn insert(&mut self, id: u64, value: V) {
        *self.get_or_insert_default(id) = value;
    }

    /// Removes `id`; returns its value if it was there.
    pub(crate) fn remove(&mut self, id: u64) -> Option<V> {
        if id == EMPTY {
            let value = self.zero.take();
            self.len -= usize::from(value.is_some());
            return value;
        }
        let index = self.probe(id).ok()?;
        Some(self.remove_at(index))
    }

    /// Keeps the entries for which `keep` is true, visiting each once.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(u64, &mut V) -> bool) {
        if let Some(value) = self.zero.as_mut()
            && !keep(EMPTY, value)
        {
            self.zero = None;
            self.len -= 1;
        }
        // Start after a free slot: a removal shifts entries back only within their
        // run of occupied slots and never past a free one, so an entry only ever
        // moves into the slot being visited, from one not visited yet.
        let Some(free) = self.slots.iter().position(|slot| slot.id == EMPTY) else {
            return;
        };
        let mask = self.slots.len() - 1;
        let mut visited = 1;
        let mut index = (free + 1) & mask;
        while visited < self.slots.len() {
            let slot = &mut self.slots[index];
            if slot.id != EMPTY && !keep(slot.id, &mut slot.value) {
                self.remove_at(index);
                // Visit the entry shifted into this slot, if any.
                continue;
            }
            visited += 1;
            index = (index + 1) & mask;
        }
    }

    /// Every entry, in an order that depends on the table's random key.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        let occupied = self.slots.iter().filter(|slot| slot.id != EMPTY).map(|slot| (slot.id, &slot.value));
        occupied.chain(self.zero.as_ref().map(|value| (EMPTY, value)))
    }

    /// The slot the search for `id` starts from.
    fn home(&self, id: u64) -> usize {
        self.hasher.hash_one(id) as usize & (self.slots.len() - 1)
    }

    /// `Ok(slot of id)`, or `Err(the free slot it would go to)`; `Err(0)` when
    /// there are no slots. `id` is not [`EMPTY`].
    fn probe(&self, id: u64) -> Result<usize, usize> {
        if self.slots.is_empty() {
            return Err(0);
        }
        let mask = self.slots.len() - 1;
        let mut index = self.home(id);
        loop {
            match self.slots[index].id {
                key if key == id => return Ok(index),
                EMPTY => return Err(index),
                _ => index = (index + 1) & mask,
            }
        }
    }

    /// Whether one more entry in the slots would take the load past 1/2.
    fn is_full(&self) -> bool {
        slots_for(self.len_in_slots() + 1) > self.slots.len()
    }

    fn len_in_slots(&self) -> usize {
        self.len - usize::from(self.zero.is_some())
    }

    fn grow(&mut self) {
        let slots = slots_for(self.len_in_slots() + 1).max(self.slots.len() * 2);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); slots]);
        for slot in old.into_iter().filter(|slot| slot.id != EMPTY) {
            let free = self.probe(slot.id).expect_err("ids are distinct");
            self.slots[free] = slot;
        }
    }

    /// Empties an occupied slot and shifts back the entries after it that may
    /// move, so every entry stays reachable from its home without tombstones.
    fn remove_at(&mut self, index: usize) -> V {
        let mask = self.slots.len() - 1;
        let removed = self.slots[index].value;
        let mut hole = index;
        let mut next = (hole + 1) & mask;
        while self.slots[next].id != EMPTY {
            // The entry at `next` may fill the hole unless its home lies after the
            // hole (cyclically, up to `next`): it would then sit before its home.
            let home = self.home(self.slots[next].id);
            if next.wrapping_sub(home) & mask >= next.wrapping_sub(hole) & mask {
                self.slots[hole] = self.slots[next];
                hole = next;
            }
            next = (next + 1) & mask;
        }
        self.slots[hole].id = EMPTY;
        self.len -= 1;
        removed
    }

    /// Starts bringing the slot where the search for `id` begins into the cache.
    fn prefetch_slot_of(&self, id: u64) {
        if !self.slots.is_empty() {
            prefetch(&self.slots[self.home(id)]);
        }
    }
}

/// The slots for `entries` at a load of at most 1/2: a power of two, at least 16.
fn slots_for(entries: usize) -> usize {
    (entries * 2).next_power_of_two().max(16)
}

/// Asks the processor to bring the cache line of `target` into its caches.
#[cfg(target_arch = "x86_64")]
fn prefetch<T>(target: &T) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: `_mm_prefetch` needs SSE, which every x86_64 processor has (it is in
    // the target's baseline features). A prefetch is a hint: it never faults and
    // changes no state the program can see, whatever the address; this one is the
    // address of a live reference besides.
    #[allow(unsafe_code)]
    unsafe {
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(target).cast());
    }
}

/// Elsewhere the lookups go without prefetching: slower, the same results.
#[cfg(not(target_arch = "x86_64"))]
fn prefetch<T>(_target: &T) {}

impl<V: Copy + Default + PartialEq> PartialEq for FeatureTable<V> {
    /// The same ids with the same values, wherever they sit.
    fn eq(&self, other: &FeatureTable<V>) -> bool {
        self.len == other.len && self.iter().all(|(id, value)| other.get(id) == Some(value))
    }
}

impl<V: Copy + Default + fmt::Debug> fmt::Debug for FeatureTable<V> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A deterministic stream of pseudo-random numbers (SplitMix64).
    struct Numbers(u64);

    impl Numbers {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    /// `count` ids whose search starts at slot `home` of `table`.
    fn ids_with_home(table: &FeatureTable<u32>, home: usize, count: usize, from: u64) -> Vec<u64> {
        (from..).filter(|&id| table.home(id) == home).take(count).collect()
    }

    fn contents(table: &FeatureTable<u32>) -> HashMap<u64, u32> {
        table.iter().map(|(id, value)| (id, *value)).collect()
    }

    #[test]
    fn inserts_gets_and_removes_including_id_zero() {
        let mut table = FeatureTable::default();
        assert_eq!(table.get(7), None);
        assert_eq!(table.remove(7), None);
        table.insert(7, 70);
        table.insert(EMPTY, 1);
        *table.get_or_insert_default(9) += 5;
        *table.get_or_insert_default(9) += 5;
        assert_eq!((table.get(7), table.get(EMPTY), table.get(9), table.len()), (Some(&70), Some(&1), Some(&10), 3));
        table.insert(7, 71);
        assert_eq!((table.get(7), table.len()), (Some(&71), 3));
        assert_eq!(table.remove(EMPTY), Some(1));
        assert_eq!(table.remove(EMPTY), None);
        assert_eq!(table.remove(7), Some(71));
        assert_eq!((table.get(7), table.get(9), table.len()), (None, Some(&10), 1));
    }

    #[test]
    fn colliding_ids_stay_findable_through_every_removal() {
        // 16 slots; a run starting at the last slot wraps around to the first ones.
        // The id at home in slot 3, inserted first, sits inside that run: a removal
        // before it must shift the entries after it past it, never it before its home.
        let mut table = FeatureTable::with_capacity(8);
        assert_eq!(table.slots.len(), 16);
        let at_home = ids_with_home(&table, 3, 1, 1);
        let wrapping = ids_with_home(&table, 15, 4, 1);
        let inside = ids_with_home(&table, 1, 2, 1);
        let ids: Vec<u64> = at_home.iter().chain(&wrapping).chain(&inside).copied().collect();
        for (order, &id) in ids.iter().enumerate() {
            table.insert(id, order as u32);
        }
        let occupants: Vec<u64> = [15, 0, 1, 2, 3, 4, 5, 6].iter().map(|&slot| table.slots[slot].id).collect();
        assert_eq!(occupants, [wrapping[0], wrapping[1], wrapping[2], wrapping[3], at_home[0], inside[0], inside[1], EMPTY]);
        for removed in 0..ids.len() {
            let mut copy = table.clone();
            assert_eq!(copy.remove(ids[removed]), Some(removed as u32));
            for (order, &id) in ids.iter().enumerate() {
                let expected = (order != removed).then_some(order as u32);
                assert_eq!(copy.get(id).copied(), expected, "after removing #{removed}, #{order}");
            }
            assert_eq!(copy.len(), ids.len() - 1);
            assert_eq!(copy.slots.iter().filter(|slot| slot.id != EMPTY).count(), ids.len() - 1);
        }
        // Removing them all, in any order, leaves every slot free.
        for &id in ids.iter().rev() {
            table.remove(id);
        }
        assert!(table.slots.iter().all(|slot| slot.id == EMPTY) && table.len() == 0);
    }

    #[test]
    fn grows_past_half_full_and_keeps_every_entry() {
        let mut table = FeatureTable::default();
        let mut numbers = Numbers(1);
        let ids: Vec<u64> = (0..10_000).map(|_| numbers.next()).collect();
        for (index, &id) in ids.iter().enumerate() {
            table.insert(id, index as u32);
            assert!(table.len() * 2 <= table.slots.len());
        }
        assert_eq!(table.len(), ids.len());
        assert_eq!(table.slots.len(), 32_768);
        for (index, &id) in ids.iter().enumerate() {
            assert_eq!(table.get(id), Some(&(index as u32)));
        }
        let sized = FeatureTable::<u32>::with_capacity(ids.len());
        assert_eq!(sized.slots.len(), table.slots.len());
    }

    #[test]
    fn retain_visits_each_entry_once() {
        let mut table = FeatureTable::with_capacity(8);
        // A wrapped run, one at the start, and id zero.
        let mut ids = ids_with_home(&table, 14, 4, 1);
        ids.extend(ids_with_home(&table, 0, 2, 1));
        ids.push(EMPTY);
        for &id in &ids {
            table.insert(id, (id % 7) as u32);
        }
        let mut visits: HashMap<u64, usize> = HashMap::new();
        table.retain(|id, value| {
            *visits.entry(id).or_default() += 1;
            *value += 1;
            id % 2 == 0
        });
        assert_eq!(visits.len(), ids.len());
        assert!(visits.values().all(|&count| count == 1), "{visits:?}");
        let kept: HashMap<u64, u32> = ids.iter().filter(|&&id| id % 2 == 0).map(|&id| (id, (id % 7) as u32 + 1)).collect();
        assert_eq!(contents(&table), kept);
        assert_eq!(table.len(), kept.len());
        for &id in &ids {
            assert_eq!(table.get(id), kept.get(&id));
        }
    }

    #[test]
    fn random_operations_match_a_hash_map() {
        let mut numbers = Numbers(24301);
        let mut table = FeatureTable::default();
        let mut reference: HashMap<u64, u32> = HashMap::new();
        // Ids from a small pool (zero included), so that most operations hit.
        let pool: Vec<u64> = (0..2_000).map(|index| if index == 0 { EMPTY } else { numbers.next() }).collect();
        for step in 0..200_000u32 {
            let id = pool[(numbers.next() % pool.len() as u64) as usize];
            match numbers.next() % 8 {
                0 | 1 => {
                    table.insert(id, step);
                    reference.insert(id, step);
                }
                2 | 3 => {
                    *table.get_or_insert_default(id) += 1;
                    *reference.entry(id).or_default() += 1;
                }
                4 | 5 => assert_eq!(table.remove(id), reference.remove(&id), "step {step}"),
                6 if step % 1_000 == 0 => {
                    let cut = numbers.next() % 4;
                    table.retain(|id, value| (id ^ u64::from(*value)) % 4 != cut);
                    reference.retain(|id, value| (id ^ u64::from(*value)) % 4 != cut);
                }
                _ => assert_eq!(table.get(id), reference.get(&id), "step {step}"),
            }
            assert_eq!(table.len(), reference.len(), "step {step}");
        }
        assert_eq!(contents(&table), reference);
        let found: Vec<Option<u32>> = table.lookups(&pool).map(|value| value.copied()).collect();
        let expected: Vec<Option<u32>> = pool.iter().map(|id| reference.get(id).copied()).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn tables_with_the_same_entries_are_equal_wherever_they_sit() {
        let mut forwards = FeatureTable::default();
        let mut backwards = FeatureTable::default();
        for id in 0..100u64 {
            forwards.insert(id, id as u32);
            backwards.insert(99 - id, (99 - id) as u32);
        }
        assert_eq!(forwards, backwards);
        backwards.insert(5, 6);
        assert_ne!(forwards, backwards);
        backwards.insert(5, 5);
        backwards.remove(0);
        assert_ne!(forwards, backwards);
        let small: FeatureTable<u32> = [(3, 4)].into_iter().fold(FeatureTable::default(), |mut table, (id, value)| {
            table.insert(id, value);
            table
        });
        assert_eq!(format!("{small:?}"), "{3: 4}");
    }
}

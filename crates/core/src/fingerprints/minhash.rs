//! match-set2's locality-sensitive fingerprint: a MinHash signature over the
//! word bigrams (2-shingles) of the normalised text.
//!
//! Each bigram is hashed once (from the words' xxh3 hashes, stable across
//! versions and platforms, so signatures can be stored) and kept as the minimum
//! of one of [`HASHES`] bins (one-permutation MinHash, see
//! [`Signature::of_word_hashes`]). The fraction of positions where two signatures
//! agree estimates the Jaccard similarity of the two bigram sets. Only the low 16
//! bits of each minimum are kept (128 bytes a signature): two different minima
//! agree by chance once in 65,536, which moves a similarity by less than 0.0001.
//!
//! Bigrams rather than the usual trigrams: one changed word breaks two shingles
//! instead of three, so "a few words changed" stays above the threshold on the
//! short texts spam is made of; the threshold (0.8) keeps unrelated mail apart.
//!
//! For the index the first 60 values are cut into [`BANDS`] bands of [`ROWS`]
//! values; two messages with similarity `s` share at least one band with
//! probability `1 - (1 - s^5)^12`: 0.991 at 0.8, 0.9999 at 0.9, 0.31 at 0.5, 0.03
//! at 0.3. Candidates are then compared in full. (16 bands of 4 found a little
//! more at 0.8 but held 16 keys per report: 0.3 GB more at a million reports.)

use xxhash_rust::xxh3::xxh3_64;

/// Values in a signature.
pub const HASHES: usize = 64;
/// Bands of the LSH index (the first `BANDS * ROWS` values).
pub const BANDS: usize = 12;
/// Values per band.
pub const ROWS: usize = 5;
/// Fewer bigrams than this give no signature (too little text to tell
/// messages apart).
pub const MIN_SHINGLES: usize = 12;
/// The most words of a message that are shingled.
pub const MAX_WORDS: usize = 5000;

/// A MinHash signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature(pub [u16; HASHES]);

/// The splitmix64 finaliser: spreads a shingle's bits before it picks a bin.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Bits of a mixed shingle that pick its bin.
const BIN_BITS: u32 = HASHES.trailing_zeros();
/// Densification probes for one empty bin before falling back to the next full one.
const PROBES: u64 = 64;

impl Signature {
    /// The signature of `words` (in text order), or `None` below [`MIN_SHINGLES`].
    pub fn of_words<S: AsRef<str>>(words: &[S]) -> Option<Signature> {
        let hashes: Vec<u64> = words.iter().take(MAX_WORDS).map(|word| xxh3_64(word.as_ref().as_bytes())).collect();
        Signature::of_word_hashes(&hashes)
    }

    /// The signature of words given by their xxh3 hashes (in text order).
    ///
    /// One-permutation MinHash: each bigram is hashed once and keeps the minimum
    /// of one of [`HASHES`] bins (its top bits pick the bin), instead of being
    /// hashed [`HASHES`] times (measured: 24.5 µs a message of the corpus with 64
    /// permutations, 1 µs with bins). Bins no bigram fell into borrow the value of
    /// a bin picked by a fixed probe sequence ("optimal densification",
    /// Shrivastava 2017), so two texts still agree on a bin with the probability
    /// of their Jaccard similarity.
    pub fn of_word_hashes(hashes: &[u64]) -> Option<Signature> {
        let hashes = &hashes[..hashes.len().min(MAX_WORDS)];
        if hashes.len() <= MIN_SHINGLES {
            return None;
        }
        let mut minima = [u64::MAX; HASHES];
        for pair in hashes.windows(2) {
            let shingle = mix(pair[0].rotate_left(23).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ pair[1]);
            let bin = (shingle >> (64 - BIN_BITS)) as usize;
            let value = shingle & (u64::MAX >> BIN_BITS);
            minima[bin] = minima[bin].min(value);
        }
        let mut values = [0u16; HASHES];
        for (bin, value) in values.iter_mut().enumerate() {
            let mut found = minima[bin];
            let mut probe = 0;
            while found == u64::MAX && probe < PROBES {
                probe += 1;
                let other = (mix(((bin as u64) << 32) | probe) >> (64 - BIN_BITS)) as usize;
                found = minima[other];
            }
            if found == u64::MAX {
                // At least one bin is full (there are bigrams): the next one.
                found = (1..HASHES).map(|step| minima[(bin + step) % HASHES]).find(|&m| m != u64::MAX).unwrap_or(0);
            }
            // The low bits of a minimum are as uniform as the hash.
            *value = found as u16;
        }
        Some(Signature(values))
    }

    /// The estimated Jaccard similarity of the two bigram sets, in [0, 1].
    pub fn similarity(&self, other: &Signature) -> f64 {
        let agree = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        agree as f64 / HASHES as f64
    }

    /// The key of band `band` (its index mixed in, so equal values in two bands
    /// are two keys).
    pub fn band_key(&self, band: usize) -> u32 {
        let values = &self.0[band * ROWS..(band + 1) * ROWS];
        let mut key = band as u64;
        for value in values {
            key = (key << 16) ^ u64::from(*value) ^ (key >> 48);
        }
        let mixed = (key ^ (band as u64) << 58).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        (mixed >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    const LETTER: &str = "dear friend i am the manager of the central bank and i have a proposal \
        for you concerning the transfer of a large sum of money left by a client who died \
        without heirs we need a foreign partner to receive the funds and you will keep thirty \
        percent of the total amount for your help please reply with your full name and phone";

    #[test]
    fn the_same_words_give_the_same_signature_and_a_few_changes_stay_similar() {
        let original = Signature::of_words(&words(LETTER)).unwrap();
        assert_eq!(Signature::of_words(&words(LETTER)), Some(original));
        let changed = LETTER.replace("manager", "director").replace("thirty", "forty").replace("full", "complete");
        let similarity = original.similarity(&Signature::of_words(&words(&changed)).unwrap());
        assert!(similarity > 0.8 && similarity < 1.0, "{similarity}");
    }

    #[test]
    fn unrelated_text_is_not_similar() {
        let other = "the meeting on thursday moves to room four because the projector in the \
            usual room is broken please bring the printed agenda and the figures of the last \
            quarter so that we can finish before lunch and thanks again for the notes";
        let a = Signature::of_words(&words(LETTER)).unwrap();
        let b = Signature::of_words(&words(other)).unwrap();
        assert!(a.similarity(&b) < 0.2, "{}", a.similarity(&b));
    }

    #[test]
    fn short_text_has_no_signature() {
        assert_eq!(Signature::of_words(&words("buy cheap pills now")), None);
    }

    #[test]
    fn band_keys_differ_between_bands() {
        let signature = Signature([7; HASHES]);
        assert_ne!(signature.band_key(0), signature.band_key(1));
    }
}

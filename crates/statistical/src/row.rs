//! The stored form of one learning row: the content digest of the message that
//! was learned, then the [`TokenDelta`] (little-endian, versioned). Every node
//! replays these rows in order; a corrupt row is refused, never half applied.

use crate::cluster::{FeatureDelta, LearnedMark, NGRAM_BIAS_SLOT, NgramDelta, TokenDelta};
use crate::Label;

/// A learning row: the content digest, then the delta.
pub fn encode_row(digest: u128, delta: &TokenDelta) -> Vec<u8> {
    let mut out = digest.to_le_bytes().to_vec();
    out.extend_from_slice(&encode_delta(delta));
    out
}

pub fn decode_row(bytes: &[u8]) -> Option<(u128, TokenDelta)> {
    let (digest, delta) = bytes.split_first_chunk::<16>()?;
    Some((u128::from_le_bytes(*digest), decode_delta(delta)?))
}

/// The stored form of a delta: little-endian, versioned.
///
/// `version u8 | key u128 | mark: 0 | 1 label u8 gradient f32 [squares f32] | spam i32 |
/// ham i32 | count u32 | count x (id u64, spam i32, ham i32, dz f32, dn f32)`
///
/// Version 2 adds the mark's sum of squared gradients (a message learned in several
/// passes); a delta whose mark needs none (one pass, or no mark) is still written as
/// version 1, so nodes of an older release read what this one writes when learning
/// one pass at a time.
///
/// Version 3 adds cluster method 3: the mark's squares always, then its method-3
/// gradient and squares (f32 each), and after the features `count u32 | count x
/// (slot u32, dz f32) | dn f32` (slots ascending, the bias slot last; what another
/// node needs to make the identical change, and to score the message with method 3
/// before it learns it). Written whenever method 3 changed or the mark holds its sums.
fn encode_delta(delta: &TokenDelta) -> Vec<u8> {
    let mut out = Vec::with_capacity(60 + delta.features.len() * 24 + delta.ngrams.slots.len() * 8);
    let with_ngrams = !delta.ngrams.is_empty() || delta.mark.is_some_and(|mark| mark.has_ngrams());
    let with_squares = with_ngrams || delta.mark.is_some_and(|mark| !mark.is_one_pass());
    out.push(match (with_ngrams, with_squares) {
        (true, _) => 3,
        (false, true) => 2,
        (false, false) => 1,
    });
    out.extend_from_slice(&delta.key.to_le_bytes());
    match delta.mark {
        None => out.push(0),
        Some(mark) => {
            out.push(1);
            out.push(match mark.label {
                Label::Spam => 1,
                Label::Ham => 0,
            });
            out.extend_from_slice(&mark.gradient.to_le_bytes());
            if with_squares {
                out.extend_from_slice(&mark.squares.to_le_bytes());
            }
            if with_ngrams {
                out.extend_from_slice(&mark.ngram_gradient.to_le_bytes());
                out.extend_from_slice(&mark.ngram_squares.to_le_bytes());
            }
        }
    }
    out.extend_from_slice(&delta.spam_messages.to_le_bytes());
    out.extend_from_slice(&delta.ham_messages.to_le_bytes());
    out.extend_from_slice(&(delta.features.len() as u32).to_le_bytes());
    for feature in &delta.features {
        out.extend_from_slice(&feature.id.to_le_bytes());
        out.extend_from_slice(&feature.spam.to_le_bytes());
        out.extend_from_slice(&feature.ham.to_le_bytes());
        out.extend_from_slice(&feature.dz.to_le_bytes());
        out.extend_from_slice(&feature.dn.to_le_bytes());
    }
    if with_ngrams {
        out.extend_from_slice(&(delta.ngrams.slots.len() as u32).to_le_bytes());
        for (slot, dz) in delta.ngrams.slots.iter().zip(&delta.ngrams.dz) {
            out.extend_from_slice(&slot.to_le_bytes());
            out.extend_from_slice(&dz.to_le_bytes());
        }
        out.extend_from_slice(&delta.ngrams.dn.to_le_bytes());
    }
    out
}

fn decode_delta(bytes: &[u8]) -> Option<TokenDelta> {
    let mut reader = Reader(bytes);
    let (with_squares, with_ngrams) = match reader.take::<1>()? {
        [1] => (false, false),
        [2] => (true, false),
        [3] => (true, true),
        _ => return None,
    };
    let key = u128::from_le_bytes(reader.take()?);
    let mark = match reader.take::<1>()? {
        [0] => None,
        [1] => {
            let label = match reader.take::<1>()? {
                [1] => Label::Spam,
                [0] => Label::Ham,
                _ => return None,
            };
            let gradient = reader.f32()?;
            let squares = if with_squares { reader.f32()? } else { gradient * gradient };
            let (ngram_gradient, ngram_squares) =
                if with_ngrams { (reader.f32()?, reader.f32()?) } else { (0.0, 0.0) };
            Some(LearnedMark { label, gradient, squares, ngram_gradient, ngram_squares })
        }
        _ => return None,
    };
    let spam_messages = i32::from_le_bytes(reader.take()?);
    let ham_messages = i32::from_le_bytes(reader.take()?);
    let count = u32::from_le_bytes(reader.take()?) as usize;
    // A corrupt count cannot make us allocate more than the bytes could hold.
    if count > reader.0.len() / 24 {
        return None;
    }
    let mut features = Vec::with_capacity(count);
    for _ in 0..count {
        features.push(FeatureDelta {
            id: u64::from_le_bytes(reader.take()?),
            spam: i32::from_le_bytes(reader.take()?),
            ham: i32::from_le_bytes(reader.take()?),
            dz: reader.f32()?,
            dn: reader.f32()?,
        });
    }
    let mut ngrams = NgramDelta::default();
    if with_ngrams {
        let count = u32::from_le_bytes(reader.take()?) as usize;
        if count > reader.0.len() / 8 {
            return None;
        }
        for _ in 0..count {
            let slot = u32::from_le_bytes(reader.take()?);
            // Ascending and within the table: a corrupt row is refused, not applied.
            if slot > NGRAM_BIAS_SLOT || ngrams.slots.last().is_some_and(|&last| last >= slot) {
                return None;
            }
            ngrams.slots.push(slot);
            ngrams.dz.push(reader.f32()?);
        }
        ngrams.dn = reader.f32()?;
    }
    reader.0.is_empty().then_some(TokenDelta {
        key,
        mark,
        spam_messages,
        ham_messages,
        features,
        ngrams,
    })
}

pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl Reader<'_> {
    pub(crate) fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, tail) = self.0.split_first_chunk::<N>()?;
        self.0 = tail;
        Some(*head)
    }

    /// A finite `f32`: what a node writes is always finite, and a corrupt row's
    /// not-a-number would poison a weight (and every score after it) for good.
    fn f32(&mut self) -> Option<f32> {
        Some(f32::from_le_bytes(self.take()?)).filter(|value| value.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_round_trip_and_garbage_is_refused() {
        let delta = TokenDelta {
            key: 0x0123_4567_89ab_cdef_0011_2233_4455_6677,
            mark: Some(LearnedMark::once(Label::Spam, -0.25)),
            spam_messages: 1,
            ham_messages: -1,
            features: vec![
                FeatureDelta { id: 7, spam: 1, ham: -1, dz: 0.5, dn: 0.125 },
                FeatureDelta { id: u64::MAX, spam: 0, ham: 2, dz: -1.0, dn: 2.0 },
            ],
            ngrams: NgramDelta::default(),
        };
        let bytes = encode_delta(&delta);
        assert_eq!(decode_delta(&bytes), Some(delta.clone()));
        let forgotten = TokenDelta { mark: None, ..delta };
        assert_eq!(decode_delta(&encode_delta(&forgotten)), Some(forgotten));
        assert_eq!(decode_delta(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode_delta(&[1, 0, 0]), None);
        let mut huge_count = encode_delta(&TokenDelta { features: vec![], ..decode_delta(&bytes).unwrap() });
        let at = huge_count.len() - 4;
        huge_count[at..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_delta(&huge_count), None);
        let row = encode_row(42, &decode_delta(&bytes).unwrap());
        assert_eq!(decode_row(&row).map(|(digest, _)| digest), Some(42));
    }

    #[test]
    fn a_mark_of_several_passes_needs_version_2_and_one_pass_stays_version_1() {
        let one_pass = TokenDelta {
            key: 9,
            mark: Some(LearnedMark::once(Label::Ham, 0.375)),
            spam_messages: 0,
            ham_messages: 1,
            features: vec![FeatureDelta { id: 7, spam: 0, ham: 1, dz: 0.375, dn: 0.140625 }],
            ngrams: NgramDelta::default(),
        };
        let bytes = encode_delta(&one_pass);
        assert_eq!(bytes[0], 1, "readable by nodes that know only version 1");
        assert_eq!(decode_delta(&bytes), Some(one_pass.clone()));
        let passes = TokenDelta {
            mark: Some(LearnedMark { label: Label::Ham, gradient: 0.625, squares: 0.203125, ngram_gradient: 0.0, ngram_squares: 0.0 }),
            ham_messages: 0,
            ..one_pass
        };
        let bytes = encode_delta(&passes);
        assert_eq!(bytes[0], 2);
        assert_eq!(decode_delta(&bytes), Some(passes));
        assert_eq!(decode_delta(&bytes[..bytes.len() - 1]), None);
        let mut unknown = bytes.clone();
        unknown[0] = 4;
        assert_eq!(decode_delta(&unknown), None);
    }

    #[test]
    fn method_3_needs_version_3_and_corrupt_slots_are_refused() {
        let delta = TokenDelta {
            key: 11,
            mark: Some(LearnedMark { ngram_gradient: -0.5, ngram_squares: 0.25, ..LearnedMark::once(Label::Spam, -0.25) }),
            spam_messages: 1,
            ham_messages: 0,
            features: vec![FeatureDelta { id: 7, spam: 1, ham: 0, dz: -0.25, dn: 0.0625 }],
            ngrams: NgramDelta { slots: vec![3, 900, NGRAM_BIAS_SLOT], dz: vec![-0.5, -0.5, -0.5], dn: 0.25 },
        };
        let bytes = encode_delta(&delta);
        assert_eq!(bytes[0], 3);
        assert_eq!(decode_delta(&bytes), Some(delta.clone()));
        // A forgetting delta (no mark) with method 3's change is version 3 too.
        let forget = TokenDelta { mark: None, ..delta.clone() };
        assert_eq!(decode_delta(&encode_delta(&forget)), Some(forget));
        assert_eq!(decode_delta(&bytes[..bytes.len() - 1]), None);
        // A change that is not a number, of a feature, a slot or the mark.
        for bad in [
            TokenDelta { features: vec![FeatureDelta { dz: f32::NAN, ..delta.features[0] }], ..delta.clone() },
            TokenDelta { ngrams: NgramDelta { dz: vec![-0.5, f32::INFINITY, -0.5], ..delta.ngrams.clone() }, ..delta.clone() },
            TokenDelta { ngrams: NgramDelta { dn: f32::NAN, ..delta.ngrams.clone() }, ..delta.clone() },
            TokenDelta { mark: Some(LearnedMark { ngram_squares: f32::NAN, ..delta.mark.unwrap() }), ..delta.clone() },
        ] {
            assert_eq!(decode_delta(&encode_delta(&bad)), None, "{bad:?}");
        }
        // Slots out of order or beyond the table.
        for slots in [vec![900, 3, NGRAM_BIAS_SLOT], vec![3, 3, NGRAM_BIAS_SLOT], vec![3, 900, NGRAM_BIAS_SLOT + 1]] {
            let bad = TokenDelta { ngrams: NgramDelta { slots, ..delta.ngrams.clone() }, ..delta.clone() };
            assert_eq!(decode_delta(&encode_delta(&bad)), None);
        }
    }
}

//! The stored form of one learning row: the content digest of the message that
//! was learned, then the [`TokenDelta`] (little-endian, versioned). Every node
//! replays these rows in order; a corrupt row is refused, never half applied.

use crate::cluster::{FeatureDelta, LearnedMark, TokenDelta};
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
fn encode_delta(delta: &TokenDelta) -> Vec<u8> {
    let mut out = Vec::with_capacity(52 + delta.features.len() * 24);
    let with_squares = delta.mark.is_some_and(|mark| !mark.is_one_pass());
    out.push(if with_squares { 2 } else { 1 });
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
    out
}

fn decode_delta(bytes: &[u8]) -> Option<TokenDelta> {
    let mut reader = Reader(bytes);
    let with_squares = match reader.take::<1>()? {
        [1] => false,
        [2] => true,
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
            let gradient = f32::from_le_bytes(reader.take()?);
            let squares = if with_squares { f32::from_le_bytes(reader.take()?) } else { gradient * gradient };
            Some(LearnedMark { label, gradient, squares })
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
            dz: f32::from_le_bytes(reader.take()?),
            dn: f32::from_le_bytes(reader.take()?),
        });
    }
    reader.0.is_empty().then_some(TokenDelta {
        key,
        mark,
        spam_messages,
        ham_messages,
        features,
    })
}

pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl Reader<'_> {
    pub(crate) fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, tail) = self.0.split_first_chunk::<N>()?;
        self.0 = tail;
        Some(*head)
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
        };
        let bytes = encode_delta(&one_pass);
        assert_eq!(bytes[0], 1, "readable by nodes that know only version 1");
        assert_eq!(decode_delta(&bytes), Some(one_pass.clone()));
        let passes = TokenDelta {
            mark: Some(LearnedMark { label: Label::Ham, gradient: 0.625, squares: 0.203125 }),
            ham_messages: 0,
            ..one_pass
        };
        let bytes = encode_delta(&passes);
        assert_eq!(bytes[0], 2);
        assert_eq!(decode_delta(&bytes), Some(passes));
        assert_eq!(decode_delta(&bytes[..bytes.len() - 1]), None);
        let mut unknown = bytes.clone();
        unknown[0] = 3;
        assert_eq!(decode_delta(&unknown), None);
    }
}

//! The byte encoding shared by the model file and the cluster snapshot.
//!
//! Little-endian fixed-width numbers and LEB128 varints, written and read by hand:
//! the format is small, versioned by a magic and a number, and every read is
//! bounds-checked so that a truncated or corrupted file is an error, never a panic
//! or an unbounded allocation.

use std::fmt;

/// Why a model file or snapshot could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// The file does not start with the expected magic.
    NotAModel,
    /// The file was written by an incompatible version of Sluice.
    UnsupportedVersion(u32),
    /// The file ends before its declared content.
    Truncated,
    /// A value is out of its valid range.
    Invalid(&'static str),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::NotAModel => f.write_str("not a Sluice statistical model"),
            FormatError::UnsupportedVersion(version) => write!(f, "unsupported model format version {version}"),
            FormatError::Truncated => f.write_str("model file is truncated"),
            FormatError::Invalid(what) => write!(f, "invalid model file: {what}"),
        }
    }
}

impl std::error::Error for FormatError {}

#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) bytes: Vec<u8>,
}

impl Writer {
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    pub(crate) fn u32(&mut self, value: u32) {
        self.raw(&value.to_le_bytes());
    }

    pub(crate) fn f32(&mut self, value: f32) {
        self.raw(&value.to_le_bytes());
    }

    pub(crate) fn f64(&mut self, value: f64) {
        self.raw(&value.to_le_bytes());
    }

    pub(crate) fn varint(&mut self, mut value: u64) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                self.bytes.push(byte);
                return;
            }
            self.bytes.push(byte | 0x80);
        }
    }
}

pub(crate) struct Reader<'b> {
    bytes: &'b [u8],
}

impl<'b> Reader<'b> {
    pub(crate) fn new(bytes: &'b [u8]) -> Reader<'b> {
        Reader { bytes }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn raw(&mut self, count: usize) -> Result<&'b [u8], FormatError> {
        if self.bytes.len() < count {
            return Err(FormatError::Truncated);
        }
        let (head, tail) = self.bytes.split_at(count);
        self.bytes = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], FormatError> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.raw(N)?);
        Ok(array)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, FormatError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn f32(&mut self) -> Result<f32, FormatError> {
        let value = f32::from_le_bytes(self.array()?);
        if value.is_finite() { Ok(value) } else { Err(FormatError::Invalid("non-finite number")) }
    }

    pub(crate) fn f64(&mut self) -> Result<f64, FormatError> {
        let value = f64::from_le_bytes(self.array()?);
        if value.is_finite() { Ok(value) } else { Err(FormatError::Invalid("non-finite number")) }
    }

    pub(crate) fn varint(&mut self) -> Result<u64, FormatError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let [byte] = self.array::<1>()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(FormatError::Invalid("varint too long"))
    }

    pub(crate) fn varint_u32(&mut self) -> Result<u32, FormatError> {
        u32::try_from(self.varint()?).map_err(|_| FormatError::Invalid("count out of range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_truncation_is_an_error() {
        let mut writer = Writer::default();
        for value in [0, 1, 127, 128, 300, u64::MAX] {
            writer.varint(value);
        }
        let mut reader = Reader::new(&writer.bytes);
        for value in [0, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(reader.varint(), Ok(value));
        }
        assert_eq!(reader.varint(), Err(FormatError::Truncated));
        assert_eq!(Reader::new(&[0x80; 11]).varint(), Err(FormatError::Invalid("varint too long")));
    }
}

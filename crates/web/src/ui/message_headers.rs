//! The header fields of a stored message, as they arrived, for the message's
//! page: every field in order, folded lines kept, never decoded (the page shows
//! what the sender wrote; the subject column shows it decoded).
//!
//! The bytes are hostile: a header block without an end, a field without a
//! colon, invalid UTF-8 and millions of fields are all possible, so the block
//! read is bounded ([`MAX_HEADER_BYTES`], [`MAX_FIELDS`]) and every byte
//! sequence gives some list.

/// The most header bytes read (what is past it is not shown, and said so).
pub(crate) const MAX_HEADER_BYTES: usize = 256 * 1024;
/// The most fields shown.
pub(crate) const MAX_FIELDS: usize = 1_000;

/// The header fields of `raw` (name, value with its folding line breaks as
/// `\n`), and whether some were left out by the bounds.
pub(crate) fn header_fields(raw: &[u8]) -> (Vec<(String, String)>, bool) {
    let block = &raw[..raw.len().min(MAX_HEADER_BYTES)];
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut cut = raw.len() > MAX_HEADER_BYTES;
    let mut ended = false;
    for line in block.split(|byte| *byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            ended = true;
            break;
        }
        let text = String::from_utf8_lossy(line);
        if matches!(line[0], b' ' | b'\t') {
            // A folded continuation of the previous field (or, first, a stray line).
            match fields.last_mut() {
                Some((_, value)) => {
                    value.push('\n');
                    value.push_str(&text);
                }
                None => fields.push((String::new(), text.into_owned())),
            }
            continue;
        }
        if fields.len() == MAX_FIELDS {
            cut = true;
            break;
        }
        match text.split_once(':') {
            Some((name, value)) => fields.push((name.to_owned(), value.strip_prefix(' ').unwrap_or(value).to_owned())),
            // Not a field: shown as it is, without a name.
            None => fields.push((String::new(), text.into_owned())),
        }
    }
    (fields, cut && !ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_and_values(raw: &[u8]) -> Vec<(String, String)> {
        header_fields(raw).0
    }

    #[test]
    fn fields_in_order_with_their_folding() {
        let raw = b"Received: from a\r\n\tby b\r\nSubject: =?utf-8?q?hi?=\r\nX-Odd:no-space\r\n\r\nBody: not a header\r\n";
        assert_eq!(
            names_and_values(raw),
            [
                ("Received".to_owned(), "from a\n\tby b".to_owned()),
                ("Subject".to_owned(), "=?utf-8?q?hi?=".to_owned()),
                ("X-Odd".to_owned(), "no-space".to_owned()),
            ]
        );
    }

    #[test]
    fn hostile_blocks_give_a_bounded_list() {
        assert_eq!(names_and_values(b""), []);
        assert_eq!(names_and_values(b"no colon here\n\n"), [(String::new(), "no colon here".to_owned())]);
        assert_eq!(names_and_values(b" stray\nA: \xff\xfe\n"), [(String::new(), " stray".to_owned()), ("A".to_owned(), "\u{fffd}\u{fffd}".to_owned())]);
        let many = "X: y\r\n".repeat(MAX_FIELDS + 10);
        let (fields, cut) = header_fields(many.as_bytes());
        assert_eq!(fields.len(), MAX_FIELDS);
        assert!(cut);
        let endless = vec![b'a'; MAX_HEADER_BYTES * 2];
        let (fields, cut) = header_fields(&endless);
        assert_eq!(fields.len(), 1);
        assert!(cut);
    }
}

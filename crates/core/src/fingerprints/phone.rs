//! Phone numbers in text, normalised so that one number written several ways is
//! one item: `+44 20 7946 0958`, `0044 (20) 7946-0958` and `020 7946 0958` all
//! become `2079460958`.
//!
//! Without the numbering plans (libphonenumber's data, a network of its own) the
//! country code cannot be told from the number, so the key is the last
//! [`KEY_DIGITS`] digits: the national significant number of most plans
//! (E.164: at most 15 digits with the country code), which drops the country code
//! and a national trunk prefix alike. A run counts as a number when it has
//! [`MIN_DIGITS`] to 15 digits and is written as one: with a leading `+` or with
//! separators (space, `-`, `.`, parentheses) between digit groups. A bare run of
//! digits is an order number or an ID far more often than a phone number, and a
//! dotted quad is an address.

/// Digits of the key.
pub const KEY_DIGITS: usize = 10;
/// Fewer digits than this are not taken for a phone number.
pub const MIN_DIGITS: usize = 9;
/// The most digits of an E.164 number.
pub const MAX_DIGITS: usize = 15;

/// The keys of the phone numbers in `text`, in order, at most `max`.
pub fn phone_numbers(text: &str, max: usize) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() && found.len() < max {
        // Skip to the next byte that may start a number.
        let Some(skip) = bytes[at..].iter().position(|&b| b.is_ascii_digit() || b == b'+' || b == b'(') else { break };
        at += skip;
        let byte = bytes[at];
        let starts = byte == b'+' || byte == b'(' || byte.is_ascii_digit();
        // A number starts a token: not in the middle of a word or another number.
        let after_word = at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'.' || bytes[at - 1] == b'/');
        if !starts || after_word {
            at += 1;
            continue;
        }
        let end = run_end(bytes, at);
        if let Some(key) = key_of(&text[at..end])
            && !found.contains(&key)
        {
            found.push(key);
        }
        at = end.max(at + 1);
    }
    found
}

/// The end of a run of digits and separators starting at `start` (a separator
/// is taken only between digits or before an opening parenthesis).
fn run_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    let mut last_digit = start;
    while end < bytes.len() && end - start < 40 {
        match bytes[end] {
            b'0'..=b'9' => last_digit = end + 1,
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            b'+' if end == start => {}
            _ => break,
        }
        end += 1;
    }
    // A closing parenthesis right after the last digit belongs to the number.
    last_digit.max(start)
}

/// The key of one candidate run, or `None` when it is not a phone number.
fn key_of(run: &str) -> Option<String> {
    let digits: String = run.chars().filter(char::is_ascii_digit).collect();
    if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
        return None;
    }
    let international = run.starts_with('+') || run.starts_with("00");
    let separated = run.trim_start_matches('+').contains([' ', '-', '.', '(', ')']);
    if !international && !separated {
        return None;
    }
    // Dotted quads (and dotted amounts like 1.000.000.000) are not numbers to call.
    let groups: Vec<&str> = run.split('.').collect();
    if groups.len() >= 3 && groups.iter().all(|group| group.bytes().all(|b| b.is_ascii_digit())) && !run.contains([' ', '-']) {
        return None;
    }
    Some(digits[digits.len().saturating_sub(KEY_DIGITS)..].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: &[&str]) {
        assert_eq!(phone_numbers(text, 10), expect, "{text}");
    }

    #[test]
    fn one_number_written_several_ways_is_one_key() {
        check("call +44 20 7946 0958 now", &["2079460958"]);
        check("call 0044 (20) 7946-0958 now", &["2079460958"]);
        check("call 020 7946 0958 now", &["2079460958"]);
        check("US: (415) 555-0100 or +1.415.555.0100", &["4155550100"]);
        check("+14155550100", &["4155550100"]);
    }

    #[test]
    fn ids_dates_addresses_and_short_numbers_are_not_phone_numbers() {
        check("order 123456789012 shipped", &[]);
        check("server 192.168.100.200 is down", &[]);
        check("on 2002-10-05 at 10:00", &[]);
        check("call 555-0100", &[]);
        check("+1234567890123456789", &[]);
    }
}

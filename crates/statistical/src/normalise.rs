//! Text folding before tokenisation: what a reader sees as the same word must hash
//! to the same token.
//!
//! Spammers write "ＶＩＡＧＲＡ" (fullwidth), "vі­agra" (a Cyrillic і and a soft
//! hyphen) or "víagra" to dodge word lists. Folding undoes the cheap tricks: format
//! characters are dropped, compatibility forms are decomposed (NFKD, the "K" of NFKC
//! without recomposition), combining accents are removed, a small table maps the
//! Cyrillic and Greek letters that look Latin onto Latin, and everything is lower-cased.
//! Folding is lossy on purpose; it runs the same way at training and at classification,
//! so a Russian or Greek word still folds to one stable token.

use unicode_normalization::char::decompose_compatible;

/// What folding noticed about the text, for the structural features.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FoldStats {
    /// Words that mixed ASCII letters with look-alike letters of another script
    /// (the "vіagra" trick); ordinary Russian or Greek words do not count.
    pub mixed_script_words: u32,
    /// Invisible format characters removed (zero-width spaces, soft hyphens, ...).
    pub invisible_chars: u32,
    /// Upper-case letters seen before lower-casing, and all letters.
    pub upper_letters: u32,
    pub letters: u32,
}

/// Appends the folded form of `text` to `out`, stopping once `out` holds
/// `max_bytes` (a bound on work for hostile input).
pub fn fold_into(text: &str, out: &mut String, max_bytes: usize, stats: &mut FoldStats) {
    let mut word = WordScripts::default();
    for c in text.chars() {
        if out.len() >= max_bytes {
            break;
        }
        if c.is_ascii() {
            if c.is_ascii_alphabetic() {
                stats.letters += 1;
                if c.is_ascii_uppercase() {
                    stats.upper_letters += 1;
                }
                word.latin = true;
            } else if !c.is_ascii_digit() {
                word.end(stats);
            }
            out.push(c.to_ascii_lowercase());
            continue;
        }
        if is_invisible(c) {
            stats.invisible_chars += 1;
            continue;
        }
        if let Some(latin) = confusable_to_latin(c) {
            stats.letters += 1;
            word.confusable = true;
            out.push(latin);
            continue;
        }
        if c.is_alphabetic() {
            stats.letters += 1;
            if c.is_uppercase() {
                stats.upper_letters += 1;
            }
        } else if !c.is_numeric() {
            word.end(stats);
        }
        decompose_compatible(c, |part| {
            if !is_combining_mark(part) {
                if part.is_ascii() {
                    if part.is_ascii_alphabetic() {
                        word.latin = true;
                    }
                    out.push(part.to_ascii_lowercase());
                } else {
                    out.extend(part.to_lowercase());
                }
            }
        });
    }
    word.end(stats);
}

/// Folds a short string (a header value, a file name) into a new string.
pub fn fold(text: &str, max_bytes: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_bytes));
    fold_into(text, &mut out, max_bytes, &mut FoldStats::default());
    out
}

/// Tracks which scripts the current word used, to spot mixed-script words.
#[derive(Default)]
struct WordScripts {
    latin: bool,
    confusable: bool,
}

impl WordScripts {
    fn end(&mut self, stats: &mut FoldStats) {
        if self.latin && self.confusable {
            stats.mixed_script_words += 1;
        }
        *self = WordScripts::default();
    }
}

/// Characters that render as nothing and are used to split words invisibly.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// Combining diacritical marks, dropped after decomposition ("é" -> "e").
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// The Cyrillic and Greek letters that are drawn like a Latin letter, in lower case.
/// A subset of Unicode's confusables.txt: the letters seen in obfuscated spam, cheap
/// to check with one match.
fn confusable_to_latin(c: char) -> Option<char> {
    Some(match c {
        // Cyrillic
        'а' | 'А' => 'a',
        'в' | 'В' => 'b',
        'с' | 'С' => 'c',
        'е' | 'Е' | 'ё' | 'Ё' => 'e',
        'һ' | 'Һ' | 'Н' => 'h',
        'і' | 'І' | 'ї' | 'Ї' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' => 'k',
        'м' | 'М' => 'm',
        'о' | 'О' => 'o',
        'р' | 'Р' => 'p',
        'ԛ' | 'Ԛ' => 'q',
        'ѕ' | 'Ѕ' => 's',
        'т' | 'Т' => 't',
        'ս' => 'u',
        'ԝ' | 'Ԝ' => 'w',
        'х' | 'Х' => 'x',
        'у' | 'У' => 'y',
        // Greek
        'α' | 'Α' => 'a',
        'β' | 'Β' => 'b',
        'ε' | 'Ε' => 'e',
        'η' | 'Η' => 'h',
        'ι' | 'Ι' => 'i',
        'κ' | 'Κ' => 'k',
        'Μ' => 'm',
        'ν' | 'Ν' => 'v',
        'ο' | 'Ο' => 'o',
        'ρ' | 'Ρ' => 'p',
        'τ' | 'Τ' => 't',
        'υ' | 'Υ' => 'u',
        'χ' | 'Χ' => 'x',
        'Ζ' => 'z',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &str) {
        assert_eq!(fold(input, 1 << 20), expect, "folding {input:?}");
    }

    #[test]
    fn ascii_is_lower_cased() {
        check("Hello WORLD 42!", "hello world 42!");
    }

    #[test]
    fn fullwidth_and_ligatures_are_compatibility_folded() {
        check("ＶＩＡＧＲＡ", "viagra");
        check("ﬁnance", "finance");
        check("①", "1");
    }

    #[test]
    fn accents_are_stripped() {
        check("Víagra Crème", "viagra creme");
    }

    #[test]
    fn confusables_map_to_latin_and_are_counted() {
        let mut stats = FoldStats::default();
        let mut out = String::new();
        // Cyrillic і (U+0456) and а (U+0430) inside a Latin word, plus a soft hyphen.
        fold_into("v\u{456}\u{AD}agr\u{430} now", &mut out, 1 << 20, &mut stats);
        assert_eq!(out, "viagra now");
        assert_eq!(stats.mixed_script_words, 1);
        assert_eq!(stats.invisible_chars, 1);
    }

    #[test]
    fn a_plain_cyrillic_word_is_not_mixed_script() {
        let mut stats = FoldStats::default();
        let mut out = String::new();
        fold_into("мама", &mut out, 1 << 20, &mut stats);
        assert_eq!(stats.mixed_script_words, 0);
    }

    #[test]
    fn zero_width_space_does_not_split_words() {
        check("fr\u{200B}ee", "free");
    }

    #[test]
    fn output_is_bounded() {
        let mut out = String::new();
        fold_into(&"x".repeat(10_000), &mut out, 100, &mut FoldStats::default());
        assert_eq!(out.len(), 100);
    }
}

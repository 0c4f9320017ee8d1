//! The pattern sets on their fixtures (`tests/data/patterns/`): each field,
//! the settings that pick the sets, the verdict, and hostile pattern files.

use super::*;
use crate::checks::fixtures;
use crate::envelope::Envelope;
use crate::settings::DomainSettings;
use sluice_model::Action;

fn acme() -> PatternSets {
    let set = PatternSet::parse("acme", &fixtures::read("patterns", "acme.txt")).unwrap_or_else(|errors| panic!("{errors:?}"));
    PatternSets::new(vec![Arc::new(set)])
}

fn every() -> Vec<String> {
    vec![EVERY_SET.to_owned()]
}

fn findings_for(sets: &PatternSets, enabled: &[String], raw: &[u8], sender: &str) -> Vec<Finding> {
    let envelope = Envelope { sender: sender.to_owned(), recipients: vec!["bob@example.net".to_owned()], ..Envelope::default() };
    let facts = MessageFacts::new(raw, &envelope, 0);
    check(sets, enabled, &facts)
}

fn errors_of(text: &[u8]) -> Vec<String> {
    match PatternSet::parse("test", text) {
        Ok(set) => panic!("{} patterns loaded from a bad file", set.len()),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn each_field_catches_its_fixture_and_the_clean_message_passes() {
    let sets = acme();
    let files = fixtures::files("patterns", ".eml");
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let raw = fixtures::read("patterns", &file);
        let expected = fixtures::expectation(&raw).unwrap_or_else(|| panic!("{file} has no X-Sluice-Expect"));
        let findings = findings_for(&sets, &every(), &raw, "alice@example.org");
        let extras: Vec<&str> = findings.iter().map(|finding| finding.extra.as_str()).collect();
        if expected == "pass" {
            assert!(findings.is_empty(), "{file}: {extras:?}");
        } else {
            assert_eq!(extras, [expected.as_str()], "{file}");
            assert_eq!((findings[0].main, findings[0].sub, findings[0].check), (MainClass::Spam, Subclass::Pattern, NAME));
        }
    }
}

#[test]
fn the_envelope_sender_is_matched_exactly_in_any_case() {
    let raw = fixtures::read("patterns", "clean.negative.eml");
    let extras = |sender: &str| findings_for(&acme(), &every(), &raw, sender).into_iter().map(|finding| finding.extra).collect::<Vec<_>>();
    assert_eq!(extras("Bounces@Bulk-Mailer.example"), ["acme:sender-known"]);
    assert!(extras("x.bounces@bulk-mailer.example").is_empty());
    assert!(extras("").is_empty(), "the null sender");
}

#[test]
fn a_match_is_quarantined_with_the_feed_reply_and_an_allow_list_still_wins() {
    let findings = findings_for(&acme(), &every(), &fixtures::read("patterns", "domain.positive.eml"), "alice@example.org");
    let settings = DomainSettings::default();
    let verdict = crate::verdict::decide(&findings, &settings);
    assert_eq!((verdict.main, verdict.sub, verdict.action), (MainClass::Spam, Subclass::Pattern, Action::Quarantine));
    assert_eq!(verdict.reply.line(), "550 5.7.1 The content of this message looked like spam.");
    assert_eq!(verdict.extra, "acme:domain-spammy");
    let mut with_allow = vec![Finding::new("lists", MainClass::AllowList, Subclass::Sender, "allow entry 1")];
    with_allow.extend(findings);
    let verdict = crate::verdict::decide(&with_allow, &settings);
    assert_eq!((verdict.main, verdict.action), (MainClass::AllowList, Action::Deliver));
}

#[test]
fn pattern_sets_picks_the_sets_of_a_recipient() {
    let other = PatternSet::parse("in-house", b"lunch subject /lunch/i\n").expect("loads");
    let sets = PatternSets::new(vec![acme().sets()[0].clone(), Arc::new(other)]);
    let raw = b"From: a@example.org\r\nSubject: You have won lunch\r\n\r\nhi\r\n";
    let extras = |enabled: &[&str]| {
        let enabled: Vec<String> = enabled.iter().map(|name| (*name).to_owned()).collect();
        findings_for(&sets, &enabled, raw, "").into_iter().map(|finding| finding.extra).collect::<Vec<_>>()
    };
    assert_eq!(extras(&["*"]), ["acme:subject-prize", "in-house:lunch"], "sets in order");
    assert_eq!(extras(&["in-house"]), ["in-house:lunch"]);
    assert_eq!(extras(&["in-house", "acme"]), ["acme:subject-prize", "in-house:lunch"]);
    assert!(extras(&[]).is_empty(), "no set");
    assert!(extras(&["elsewhere"]).is_empty(), "a source no file has");
    // A reloaded file replaces its own set only.
    let reloaded = PatternSet::parse("in-house", b"dinner subject dinner\n").expect("loads");
    let sets = sets.with_replaced(Arc::new(reloaded));
    let found = findings_for(&sets, &every(), raw, "");
    assert_eq!(found.iter().map(|finding| finding.extra.as_str()).collect::<Vec<_>>(), ["acme:subject-prize"]);
}

#[test]
fn the_counts_per_field_and_the_accepted_syntax() {
    let sets = acme();
    let counts = sets.sets()[0].counts();
    let expected: BTreeMap<String, usize> = [
        ("attachment-name", 1),
        ("attachment-sha256", 1),
        ("body", 2),
        ("domain", 1),
        ("from", 1),
        ("header:x-mailer", 1),
        ("sender", 1),
        ("subject", 1),
        ("url", 1),
    ]
    .into_iter()
    .map(|(name, count)| (name.to_owned(), count))
    .collect();
    assert_eq!(counts, expected);
    // A byte-order mark, CRLF line ends, tabs, comments, keywords in any case,
    // a slash inside a regex and spaces inside a literal.
    let text = "\u{feff}# comment\r\n\r\n  a\tSUBJECT\t/x/y/i\r\nb Header:Received   two words  \r\n";
    let set = PatternSet::parse("ok", text.as_bytes()).expect("loads");
    assert_eq!(set.len(), 2);
    let raw = b"Received: by two  words\r\nSubject: X/Y\r\n\r\n";
    let found = findings_for(&PatternSets::new(vec![Arc::new(set)]), &every(), raw, "");
    assert_eq!(found.iter().map(|finding| finding.extra.as_str()).collect::<Vec<_>>(), ["ok:a", "ok:b"]);
}

#[test]
fn a_regex_is_case_sensitive_unless_flagged_i() {
    let set = PatternSet::parse("case", b"strict subject /Prize/\nloose subject /prize/i\n").expect("loads");
    let sets = PatternSets::new(vec![Arc::new(set)]);
    let extras = |subject: &str| {
        let raw = format!("Subject: {subject}\r\n\r\nbody\r\n");
        findings_for(&sets, &every(), raw.as_bytes(), "").into_iter().map(|finding| finding.extra).collect::<Vec<_>>()
    };
    assert_eq!(extras("a Prize"), ["case:strict", "case:loose"]);
    assert_eq!(extras("a PRIZE"), ["case:loose"]);
}

#[test]
fn hostile_pattern_files_are_refused_with_their_lines() {
    let huge = format!("big body /{}/\n", "(?:a{1000}){1000}");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (huge.into_bytes(), "line 1: the regex compiles past the 1024 KiB limit"),
        (b"ok subject x\nbad subject caf\xe9\n".to_vec(), "line 2: the line is not UTF-8"),
        (format!("long body {}\n", "x".repeat(LINE_MAX)).into_bytes(), "line 1: the line is longer than 8192 octets"),
        (b"a subjekt spam\n".to_vec(), "line 1: unknown field \"subjekt\": expected subject, header:Name"),
        (b"a header: spam\n".to_vec(), "line 1: unknown field \"header:\""),
        (b"a subject /spam/x\n".to_vec(), "line 1: unknown regex flags \"x\""),
        (b"a subject /spam\n".to_vec(), "line 1: a regex is written `/regex/` or `/regex/i`"),
        (b"a subject /(unclosed/\n".to_vec(), "line 1: the regex does not compile: unclosed group"),
        (b"a subject //\n".to_vec(), "line 1: an empty regex matches every message"),
        (b"a body /x*/\n".to_vec(), "line 1: the regex matches the empty string"),
        (b"a subject /(?x)spam # comment/\n".to_vec(), "line 1: the regex does not compile"),
        (b"a subject spam\na body spam\n".to_vec(), "line 2: id \"a\" is used twice"),
        (b"lonely\n".to_vec(), "line 1: expected `ID FIELD MATCHER`, got one word"),
        (b"a subject\n".to_vec(), "line 1: expected `ID FIELD MATCHER`: no matcher"),
        (b"a:b subject spam\n".to_vec(), "line 1: id \"a:b\""),
        (b"a attachment-sha256 abc\n".to_vec(), "line 1: expected 64 hexadecimal digits"),
        (b"a from not-an-address\n".to_vec(), "line 1: expected an address"),
        (b"a domain https://x.example/\n".to_vec(), "line 1: expected a domain name"),
        (vec![b'#'; FILE_SIZE_MAX + 1], "the file is larger than 32 MiB"),
    ];
    for (text, expected) in cases {
        let errors = errors_of(&text);
        assert!(errors.first().is_some_and(|first| first.starts_with(expected)), "{expected:?}: {errors:?}");
    }
    // Only the first errors are reported.
    let many: String = (0..100).map(|n| format!("p{n} nowhere x\n")).collect();
    assert_eq!(errors_of(many.as_bytes()).len(), ERRORS_MAX);
    assert!(PatternSet::parse("bad:source", b"").is_err());
}

#[test]
fn a_file_of_the_most_patterns_loads_and_one_more_is_refused() {
    let mut text: String = (0..PATTERNS_MAX).map(|n| format!("p{n} domain d{n}.example\n")).collect();
    let set = PatternSet::parse("many", text.as_bytes()).expect("the most patterns load");
    assert_eq!(set.len(), PATTERNS_MAX);
    text.push_str("one-more subject x\n");
    let errors = errors_of(text.as_bytes());
    assert_eq!(errors, [format!("line {}: more than {PATTERNS_MAX} patterns in one file", PATTERNS_MAX + 1)]);
}

#[test]
fn the_regexes_of_one_field_go_into_several_sets_up_to_a_limit() {
    // Each alone is within the 1 MiB limit; 200 together pass one set's 32 MiB
    // (Unicode `\w` compiles large), so they are split into a few sets.
    let text: String = (0..200).map(|n| format!("p{n} body /\\w{{5}}={n};/\n")).collect();
    let set = PatternSet::parse("split", text.as_bytes()).expect("loads in several sets");
    let sets = PatternSets::new(vec![Arc::new(set)]);
    let found = findings_for(&sets, &every(), b"Subject: x\r\n\r\nabcde=199; and fghij=7;\r\n", "");
    assert_eq!(found.iter().map(|finding| finding.extra.as_str()).collect::<Vec<_>>(), ["split:p7", "split:p199"]);
    // Past SETS_MAX sets of 32 MiB, the file is refused.
    let text: String = (0..3000).map(|n| format!("p{n} body /\\w{{5}}={n};/\n")).collect();
    let errors = errors_of(text.as_bytes());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("field body: the regexes do not compile within"), "{errors:?}");
}

#[test]
fn hostile_messages_match_without_panic_and_within_bounds() {
    // Overlapping literals over a text of one letter: each pattern is reported once.
    let text: String = (1..=300).map(|n| format!("a{n} body {}\n", "a".repeat(n))).collect();
    let set = PatternSet::parse("aaa", text.as_bytes()).expect("loads");
    let sets = PatternSets::new(vec![Arc::new(set), acme().sets()[0].clone()]);
    let raw = format!("Subject: x\r\n\r\n{}\r\n", "a".repeat(200_000));
    let findings = findings_for(&sets, &every(), raw.as_bytes(), "");
    assert_eq!(findings.len(), FINDINGS_MAX, "at most {FINDINGS_MAX} findings");
    assert_eq!(findings[0].extra, "aaa:a1");
    // 60 million overlapping matches: looked at no further than the first
    // 100,000, which found every literal anyway.
    let found: Vec<usize> = {
        let envelope = Envelope::default();
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        let content = PatternContent::gather(&facts, &sets.sets()[0].fields.iter().map(|(field, _)| field).collect());
        sets.sets()[0].matches(&content)
    };
    assert_eq!(found.len(), 300);
    for raw in [&b""[..], b"\r\n\r\n", b"Subject: \xff\xfe\r\nFrom: <@>\r\n\r\nhttps://", b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Disposition: attachment\r\n\r\n"] {
        let _ = findings_for(&acme(), &every(), raw, "\u{0}");
    }
}

#[test]
fn word_boundaries_are_ascii_so_the_sets_stay_on_the_lazy_dfa() {
    for (regex, ascii) in [
        (r"\bfree\b", r"(?-u:\b)free(?-u:\b)"),
        (r"\Bcoin\<x\>", r"(?-u:\B)coin(?-u:\<)x(?-u:\>)"),
        (r"\b{start}win\b{end}", r"(?-u:\b{start})win(?-u:\b{end})"),
        // An escaped backslash, a class, a `]` first in a class: untouched.
        (r"a\\b", r"a\\b"),
        (r"[]\w]\b", r"[]\w](?-u:\b)"),
        (r"[^]a][[:alpha:]]\b", r"[^]a][[:alpha:]](?-u:\b)"),
        (r"x\", r"x\"),
    ] {
        assert_eq!(ascii_word_boundaries(regex), ascii, "{regex}");
    }
    // Each compiles as it goes into a set, and matches as `\b` does around
    // ASCII words, in non-ASCII text too.
    let text = "p1 body /\\bcrypto\\d+ (bonus|gift)\\b/i\np2 subject /\\b{start}grüße\\b{end}/\np3 body /\\Bkoin/\n";
    let set = PatternSet::parse("wb", text.as_bytes()).expect("loads");
    let sets = PatternSets::new(vec![Arc::new(set)]);
    let judged = |subject: &str, body: &str| -> Vec<String> {
        let raw = format!("Subject: {subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n");
        findings_for(&sets, &every(), raw.as_bytes(), "").into_iter().map(|finding| finding.extra).collect()
    };
    assert_eq!(judged("hello", "Schöne Grüße, crypto17 Bonus für Sie"), ["wb:p1"]);
    assert_eq!(judged("hello", "crypto17 bonusx and ücrypto1 giftö"), ["wb:p1"], "ü and ö are not word characters for it");
    assert!(judged("hello", "crypto17 bonusx").is_empty());
    assert_eq!(judged("ügrüße!", "x"), ["wb:p2"], "a word starts after ü");
    assert!(judged("agrüße", "x").is_empty(), "no word starts after a");
    assert_eq!(judged("x", "bitkoin"), ["wb:p3"]);
}

#[test]
fn each_field_is_matched_up_to_its_scan_limit() {
    let set = PatternSet::parse("top", b"b body cheap pills\ns subject /cheap pills/\nh header:X-Note cheap pills\n").expect("loads");
    let sets = PatternSets::new(vec![Arc::new(set)]);
    let found = |padding: usize| {
        let padding = "ü".repeat(padding / 2);
        // The subject and the header folded over lines of 1,000 octets.
        let folded = padding.as_bytes().chunks(1000).map(|line| std::str::from_utf8(line).unwrap()).collect::<Vec<_>>().join("\r\n ");
        let raw = format!(
            "Subject: {folded}cheap pills\r\nX-Note: a\r\nX-Note: {folded}cheap pills\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{padding}cheap pills\r\n"
        );
        let mut extras: Vec<String> = findings_for(&sets, &every(), raw.as_bytes(), "").into_iter().map(|finding| finding.extra).collect();
        extras.sort();
        extras
    };
    assert_eq!(found(TEXT_SCAN_MAX - 1000), ["top:b", "top:h", "top:s"], "within the first {TEXT_SCAN_MAX} octets");
    assert!(found(TEXT_SCAN_MAX).is_empty(), "past them, not looked at");
    assert_eq!(first_octets(vec!["aü", "b"], 2), ["a", "b"], "cut at a character");
    assert_eq!(first_octets(vec!["ab", "cd"], 3), ["ab", "c"]);
}

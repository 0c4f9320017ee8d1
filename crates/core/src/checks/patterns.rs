//! External pattern sets ("External Pattern Match"): third-party or in-house
//! patterns, loaded from files, each file under a source name.
//!
//! Detects: a message that one pattern of an enabled set matches. Class:
//! `spam` / `pattern`, extra class `SOURCE:ID` (the set's source name and the
//! pattern's id); the verdict table refuses it with 550 5.7.1 "The content of
//! this message looked like spam." and keeps a copy (decisive content, tier 8:
//! an allow list still wins).
//!
//! Settings: `[[patterns]] source / file` (the gateway's configuration: which
//! files, re-read when they change) and the filtering setting `pattern_sets`
//! (default `["*"]`: every set; `[]`: none) per scope.
//!
//! The file format (`docs/patterns.md`): one pattern a line, `ID FIELD MATCHER`;
//! `#` at the start of a line comments it out, blank lines are skipped. FIELD:
//! `subject`, `header:Name`, `body` (the text parts, HTML as text), `url` (each
//! URL), `domain` (each URL's host and its registered domain), `from` (the
//! header From address), `sender` (the envelope sender), `attachment-name`,
//! `attachment-sha256` (of the decoded attachment, hex). MATCHER: `/regex/` or
//! `/regex/i` (Rust `regex`, case-sensitive unless `i`), or a literal: a
//! case-insensitive substring on the text fields, the whole value (any case) on
//! `domain`, `from`, `sender` and `attachment-sha256`.
//!
//! Why: admins who feed SpamAssassin channels or Rspamd regexp maps expect to
//! drop a vendor's or their own list of patterns in and have it decide.
//!
//! Bounds (third parties write these files): [`FILE_SIZE_MAX`],
//! [`PATTERNS_MAX`], [`LINE_MAX`]; each regex within the filtering rules'
//! 1 MiB compiled-size limit; the regexes of one field go into one `RegexSet`
//! of at most 32 MiB compiled, or are split into several, at most [`SETS_MAX`]
//! for the whole file (a file past it is refused, not run regex by regex); a
//! regex that matches the empty string (hence every message) is refused. The
//! text of each field is matched up to [`TEXT_SCAN_MAX`] octets. Matching
//! reuses the filtering rules' matcher (`rules::Matcher`: one `RegexSet` and one
//! Aho-Corasick automaton per field) and their view of the message
//! (`rules::RuleContent`), so the text per message has the rules' bounds.
//! Word boundaries are ASCII ones ([`ascii_word_boundaries`]), so every regex
//! goes into its field's sets and no set leaves the lazy DFA for the PikeVM.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use mail_parser::PartType;
use sha2::{Digest, Sha256};
use sluice_model::{Finding, MainClass, Subclass};

use crate::checks::rules::{self, Matcher, MatcherBuilder, RuleContent, RuleField};
use crate::message::MessageFacts;
use crate::urls::LookupTarget;

pub const NAME: &str = "patterns";

/// The largest pattern file read.
pub const FILE_SIZE_MAX: usize = 32 << 20;
/// The most patterns in one file.
pub const PATTERNS_MAX: usize = 100_000;
/// The longest line, in octets (without its line end).
pub const LINE_MAX: usize = 8192;
/// The longest pattern id and source name.
pub const ID_MAX: usize = 128;
/// The most errors reported for one file (the first ones).
pub const ERRORS_MAX: usize = 20;
/// The most regex sets of 32 MiB one file may compile to (all fields
/// together): the regexes of a field that do not fit one set are split into
/// several, each a scan of the field's text.
pub const SETS_MAX: usize = 8;
/// The most findings reported for one message (the first decides).
const FINDINGS_MAX: usize = 10;
/// The most MIME entities looked at for attachment hashes (as the rules).
const ENTITIES_MAX: usize = 1000;
/// The most URLs taken from one message (as the rules).
const URLS_MAX: usize = 1000;
/// The most text of one field matched per message, in octets (the body's
/// text parts together, HTML as text; a header's values together; the
/// subject; the URLs; the attachment names); the rest is not looked at. A
/// text full of near-matches of thousands of regexes makes the set's lazy DFA
/// meet new states until its cache gives up and the PikeVM takes over: a body
/// of 5 MB of them took 5.2 s in a debug build against the bench feed, 100 KB
/// 1.1 ms. As SpamAssassin's `body_part_scan_size` (50,000 per part), spam
/// says what it sells near the top.
pub const TEXT_SCAN_MAX: usize = 256 << 10;
/// What `pattern_sets` lists to mean every set.
pub const EVERY_SET: &str = "*";

/// What a pattern looks at.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatternField {
    Subject,
    /// Every top-level header field of this name (kept in lower case), decoded.
    Header(String),
    Body,
    Url,
    Domain,
    From,
    Sender,
    AttachmentName,
    AttachmentSha256,
}

impl PatternField {
    /// The fields as a pattern file writes them, for error messages.
    pub const EXPECTED: &str = "subject, header:Name, body, url, domain, from, sender, attachment-name or attachment-sha256";

    /// Reads a field as written (the keyword in any case).
    pub fn parse(text: &str) -> Option<PatternField> {
        if let Some((keyword, name)) = text.split_once(':') {
            let valid_name = !name.is_empty() && name.len() <= 200 && name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
            return (keyword.eq_ignore_ascii_case("header") && valid_name).then(|| PatternField::Header(name.to_ascii_lowercase()));
        }
        let field = match text.to_ascii_lowercase().as_str() {
            "subject" => PatternField::Subject,
            "body" => PatternField::Body,
            "url" => PatternField::Url,
            "domain" => PatternField::Domain,
            "from" => PatternField::From,
            "sender" => PatternField::Sender,
            "attachment-name" => PatternField::AttachmentName,
            "attachment-sha256" => PatternField::AttachmentSha256,
            _ => return None,
        };
        Some(field)
    }

    /// The field as a pattern file writes it (`header:` names in lower case).
    pub fn name(&self) -> String {
        match self {
            PatternField::Subject => "subject".to_owned(),
            PatternField::Header(name) => format!("header:{name}"),
            PatternField::Body => "body".to_owned(),
            PatternField::Url => "url".to_owned(),
            PatternField::Domain => "domain".to_owned(),
            PatternField::From => "from".to_owned(),
            PatternField::Sender => "sender".to_owned(),
            PatternField::AttachmentName => "attachment-name".to_owned(),
            PatternField::AttachmentSha256 => "attachment-sha256".to_owned(),
        }
    }

    /// Whether a literal names the whole value (an address, a domain, a hash)
    /// rather than a substring of a text.
    fn is_exact(&self) -> bool {
        matches!(self, PatternField::Domain | PatternField::From | PatternField::Sender | PatternField::AttachmentSha256)
    }
}

/// A line of a pattern file that does not load (`line` 0: the whole file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    pub line: usize,
    pub what: String,
}

impl PatternError {
    fn new(line: usize, what: impl Into<String>) -> PatternError {
        PatternError { line, what: what.into() }
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => f.write_str(&self.what),
            line => write!(f, "line {line}: {}", self.what),
        }
    }
}

impl std::error::Error for PatternError {}

/// Whether `name` can be a source name: 1 to [`ID_MAX`] letters, digits, `.`,
/// `_` and `-` (it is written before `:` in the extra class).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= ID_MAX && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The patterns of one field, compiled: the text matchers of the filtering
/// rules, and the exact values of the address, domain and hash fields.
#[derive(Default)]
struct FieldMatcher {
    /// The substrings, then the regex sets.
    text: Vec<Matcher>,
    /// Lower-case value -> the patterns that name it.
    exact: HashMap<String, Vec<usize>>,
}

#[derive(Default)]
struct FieldBuilder {
    text: MatcherBuilder,
    /// The regexes that go into the field's sets.
    regexes: Vec<(String, usize)>,
    exact: HashMap<String, Vec<usize>>,
}

/// One pattern file, compiled for matching.
pub struct PatternSet {
    source: String,
    /// The pattern ids, in file order (a hit's index points here).
    ids: Vec<String>,
    fields: Vec<(PatternField, FieldMatcher)>,
}

impl fmt::Debug for PatternSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatternSet").field("source", &self.source).field("patterns", &self.ids.len()).finish()
    }
}

/// A parsed line's matcher.
enum Matching {
    /// A regex as it goes into the set (case sensitivity written inline).
    Regex(String),
    Literal(String),
}

impl PatternSet {
    /// Parses and compiles a pattern file's bytes under the source name
    /// `source`. Fails with the first [`ERRORS_MAX`] errors, each with its line.
    pub fn parse(source: &str, bytes: &[u8]) -> Result<PatternSet, Vec<PatternError>> {
        if !is_valid_name(source) {
            return Err(vec![PatternError::new(0, format!("source {source:?}: expected 1 to {ID_MAX} letters, digits, '.', '_' or '-'"))]);
        }
        if bytes.len() > FILE_SIZE_MAX {
            return Err(vec![PatternError::new(0, format!("the file is larger than {} MiB", FILE_SIZE_MAX >> 20))]);
        }
        let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        let mut errors = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        let mut seen_ids: HashSet<String> = HashSet::new();
        let mut builders: BTreeMap<PatternField, FieldBuilder> = BTreeMap::new();
        for (number, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if errors.len() >= ERRORS_MAX {
                break;
            }
            let number = number + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let parsed = parse_line(line).map_err(|what| PatternError::new(number, what));
            let (id, field, matching) = match parsed {
                Ok(None) => continue,
                Ok(Some(parsed)) => parsed,
                Err(error) => {
                    errors.push(error);
                    continue;
                }
            };
            if ids.len() >= PATTERNS_MAX {
                errors.push(PatternError::new(number, format!("more than {PATTERNS_MAX} patterns in one file")));
                break;
            }
            if !seen_ids.insert(id.to_owned()) {
                errors.push(PatternError::new(number, format!("id {id:?} is used twice (ids name a pattern in the log)")));
                continue;
            }
            let index = ids.len();
            ids.push(id.to_owned());
            let builder = builders.entry(field.clone()).or_default();
            match matching {
                Matching::Regex(regex) => builder.regexes.push((regex, index)),
                Matching::Literal(value) if field.is_exact() => builder.exact.entry(value).or_default().push(index),
                Matching::Literal(value) => builder.text.add_contains(&value, index),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut fields = Vec::new();
        let mut sets_left = SETS_MAX;
        for (field, builder) in builders {
            let fail = |what: String| vec![PatternError::new(0, format!("field {}: {what}", field.name()))];
            let mut text = Vec::new();
            if !builder.text.is_empty() {
                text.push(builder.text.build_within_limits().map_err(fail)?);
            }
            if !builder.regexes.is_empty() {
                let sets = regex_sets(&builder.regexes, &mut sets_left).ok_or_else(|| {
                    fail(format!("the regexes do not compile within {SETS_MAX} sets of {} MiB (the file's regexes together)", rules::SET_SIZE_LIMIT >> 20))
                })?;
                text.extend(sets);
            }
            fields.push((field, FieldMatcher { text, exact: builder.exact }));
        }
        Ok(PatternSet { source: source.to_owned(), ids, fields })
    }

    /// The source name (`[[patterns]] source`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// How many patterns the set has.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// How many patterns look at each field, by the field's name.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (field, matcher) in &self.fields {
            let exact: usize = matcher.exact.values().map(Vec::len).sum();
            *counts.entry(field.name()).or_default() += exact + matcher.text.iter().map(Matcher::len).sum::<usize>();
        }
        counts
    }

    /// The indexes of the patterns that match, in file order.
    fn matches(&self, content: &PatternContent<'_>) -> Vec<usize> {
        let mut hits = Vec::new();
        for (field, matcher) in &self.fields {
            let values = content.values(field);
            let values = if field.is_exact() { values } else { first_octets(values, TEXT_SCAN_MAX) };
            for value in values {
                for text in &matcher.text {
                    text.match_text(value, &mut hits);
                }
                if !matcher.exact.is_empty() {
                    // Exact values are gathered in lower case already.
                    hits.extend(matcher.exact.get(value).into_iter().flatten().copied());
                }
            }
        }
        hits.sort_unstable();
        hits.dedup();
        hits
    }
}

/// The first `budget` octets of `values` together, each cut at a character.
fn first_octets(values: Vec<&str>, budget: usize) -> Vec<&str> {
    let mut left = budget;
    let mut kept = Vec::with_capacity(values.len());
    for value in values {
        if left == 0 {
            break;
        }
        let mut end = value.len().min(left);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        left -= end;
        kept.push(&value[..end]);
    }
    kept
}

/// The regexes compiled into as few sets as fit the set size limit: all in
/// one, else each half on its own, and so on; `None` when that takes more
/// than `sets_left` sets (which it counts down).
fn regex_sets(regexes: &[(String, usize)], sets_left: &mut usize) -> Option<Vec<Matcher>> {
    if *sets_left == 0 {
        return None;
    }
    let mut builder = MatcherBuilder::default();
    for (regex, index) in regexes {
        builder.add_to_set(regex, *index);
    }
    if let Ok(matcher) = builder.build_within_limits() {
        *sets_left -= 1;
        return Some(vec![matcher]);
    }
    if regexes.len() < 2 {
        return None;
    }
    let (first, second) = regexes.split_at(regexes.len() / 2);
    let mut sets = regex_sets(first, sets_left)?;
    sets.extend(regex_sets(second, sets_left)?);
    Some(sets)
}

/// `Ok(None)` for a comment or blank line, else the id, field and matcher.
fn parse_line(line: &[u8]) -> Result<Option<(&str, PatternField, Matching)>, String> {
    if line.len() > LINE_MAX {
        return Err(format!("the line is longer than {LINE_MAX} octets"));
    }
    let line = std::str::from_utf8(line).map_err(|_| "the line is not UTF-8".to_owned())?;
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let expected = "expected `ID FIELD MATCHER`";
    let (id, rest) = line.split_once(char::is_whitespace).ok_or_else(|| format!("{expected}, got one word"))?;
    let (field, matcher) = rest.trim_start().split_once(char::is_whitespace).ok_or_else(|| format!("{expected}: no matcher"))?;
    let matcher = matcher.trim();
    if !is_valid_name(id) {
        return Err(format!("id {id:?}: expected 1 to {ID_MAX} letters, digits, '.', '_' or '-'"));
    }
    let field = PatternField::parse(field).ok_or_else(|| format!("unknown field {field:?}: expected {}", PatternField::EXPECTED))?;
    let matching = match matcher.strip_prefix('/') {
        Some(delimited) => {
            let (regex, flags) = delimited.rsplit_once('/').ok_or("a regex is written `/regex/` or `/regex/i`: no closing '/'")?;
            let case_insensitive = match flags {
                "" => false,
                "i" => true,
                other => return Err(format!("unknown regex flags {other:?}: expected none or `i`")),
            };
            Matching::Regex(compile_regex(regex, case_insensitive)?)
        }
        None => Matching::Literal(literal(&field, matcher)?),
    };
    Ok(Some((id, field, matching)))
}

/// The regex as it goes into a case-insensitive set, checked alone first.
fn compile_regex(regex: &str, case_insensitive: bool) -> Result<String, String> {
    if regex.is_empty() {
        return Err("an empty regex matches every message".to_owned());
    }
    let regex = ascii_word_boundaries(regex);
    // The group is closed on the same line: a pattern ending in an `(?x)`
    // comment would swallow it and fail here, not in the set.
    let inline = if case_insensitive { format!("(?:{regex})") } else { format!("(?-i:{regex})") };
    let compiled = rules::single_regex(&inline).map_err(|error| match error {
        regex::Error::CompiledTooBig(limit) => format!("the regex compiles past the {} KiB limit ({limit} octets)", rules::REGEX_SIZE_LIMIT >> 10),
        // The parser's message ends with its last line (`error: unclosed group`).
        error => format!("the regex does not compile: {}", error.to_string().lines().last().unwrap_or_default().trim_start_matches("error: ")),
    })?;
    if compiled.is_match("") {
        return Err("the regex matches the empty string, hence every message".to_owned());
    }
    Ok(inline)
}

/// The regex with each word boundary outside a class (`\b`, `\B`, `\<`,
/// `\>`, `\b{start}`...) made an ASCII one (`(?-u:\b)`): a letter outside
/// ASCII is not a word character for it.
///
/// Why: a Unicode word boundary stops the lazy DFA at the first non-ASCII
/// byte of the text, and a set holding one then runs every one of its
/// thousands of regexes on the PikeVM: 100 kB of German text took 6.8 s
/// against the 100,000-pattern feed of `bench/patterns.rs` in a debug build
/// (0.6 ms for 100 kB of English), an hour of CPU for a few hundred
/// ordinary messages, and a lever for a sender who wants the gateway slow.
/// The feeds are written for SpamAssassin, whose Perl matches octets, where
/// `\b` is an ASCII boundary too.
fn ascii_word_boundaries(regex: &str) -> String {
    let mut ascii = String::with_capacity(regex.len() + 16);
    let mut chars = regex.chars().peekable();
    let mut class_depth = 0usize;
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                let Some(escaped) = chars.next() else {
                    ascii.push(ch);
                    break;
                };
                if class_depth == 0 && matches!(escaped, 'b' | 'B' | '<' | '>') {
                    ascii.push_str("(?-u:\\");
                    ascii.push(escaped);
                    // `\b{start}`, `\b{end}`, `\b{start-half}`, `\b{end-half}`.
                    if escaped == 'b' && chars.peek() == Some(&'{') {
                        for special in chars.by_ref() {
                            ascii.push(special);
                            if special == '}' {
                                break;
                            }
                        }
                    }
                    ascii.push(')');
                } else {
                    ascii.push(ch);
                    ascii.push(escaped);
                }
            }
            '[' => {
                class_depth += 1;
                ascii.push(ch);
                // `[]a]` and `[^]a]`: a `]` first in a class is a literal.
                if chars.peek() == Some(&'^') {
                    ascii.extend(chars.next());
                }
                if chars.peek() == Some(&']') {
                    ascii.extend(chars.next());
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                ascii.push(ch);
            }
            _ => ascii.push(ch),
        }
    }
    ascii
}

/// A literal as it is matched: exact values in lower case, checked for their field.
fn literal(field: &PatternField, value: &str) -> Result<String, String> {
    match field {
        PatternField::AttachmentSha256 => {
            if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("expected 64 hexadecimal digits (a SHA-256), got {value:?}"));
            }
            Ok(value.to_ascii_lowercase())
        }
        PatternField::Domain => {
            let domain = value.trim_end_matches('.').to_lowercase();
            if domain.is_empty() || domain.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
                return Err(format!("expected a domain name such as example.com, got {value:?}"));
            }
            Ok(domain)
        }
        PatternField::From | PatternField::Sender => {
            if !value.contains('@') || value.contains(char::is_whitespace) {
                return Err(format!("expected an address such as user@example.com, got {value:?}"));
            }
            Ok(value.to_lowercase())
        }
        PatternField::Subject | PatternField::Header(_) | PatternField::Body | PatternField::Url | PatternField::AttachmentName => {
            Ok(value.to_owned())
        }
    }
}

/// The pattern sets in force, in the configuration's order. Immutable: a
/// reloaded file makes a new value ([`PatternSets::with_replaced`]).
#[derive(Clone, Debug, Default)]
pub struct PatternSets {
    sets: Vec<Arc<PatternSet>>,
}

impl PatternSets {
    pub fn new(sets: Vec<Arc<PatternSet>>) -> PatternSets {
        PatternSets { sets }
    }

    pub fn sets(&self) -> &[Arc<PatternSet>] {
        &self.sets
    }

    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// These sets with the one of the same source replaced by `set`.
    pub fn with_replaced(&self, set: Arc<PatternSet>) -> PatternSets {
        let sets = self.sets.iter().map(|old| if old.source == set.source { set.clone() } else { old.clone() }).collect();
        PatternSets { sets }
    }

    /// The sets a recipient's `pattern_sets` enables (`*`: every set).
    fn enabled<'s>(&'s self, enabled: &'s [String]) -> impl Iterator<Item = &'s PatternSet> + 's {
        let every = enabled.iter().any(|name| name == EVERY_SET);
        self.sets.iter().map(AsRef::as_ref).filter(move |set| every || enabled.contains(&set.source))
    }
}

/// The message's values for the fields some enabled pattern looks at,
/// gathered once per message.
#[derive(Default)]
struct PatternContent<'m> {
    /// Header fields, body and attachment names, as the rules see them.
    rule: RuleContent<'m>,
    subject: &'m str,
    urls: Vec<&'m str>,
    /// URL hosts and their registered domains, lower case, each once.
    domains: Vec<String>,
    from: Option<String>,
    sender: Option<String>,
    attachment_hashes: Vec<String>,
}

impl<'m> PatternContent<'m> {
    fn gather(facts: &'m MessageFacts<'_>, fields: &HashSet<&PatternField>) -> PatternContent<'m> {
        let wants = |wanted: fn(&PatternField) -> bool| fields.iter().any(|field| wanted(field));
        let mut rule_fields = Vec::new();
        if wants(|field| matches!(field, PatternField::Header(_))) {
            rule_fields.push(RuleField::Header);
        }
        if wants(|field| *field == PatternField::Body) {
            rule_fields.push(RuleField::Body);
        }
        if wants(|field| *field == PatternField::AttachmentName) {
            rule_fields.push(RuleField::AttachmentName);
        }
        let mut content = PatternContent { rule: RuleContent::of_fields(facts, &rule_fields), subject: facts.subject(), ..PatternContent::default() };
        if wants(|field| matches!(field, PatternField::Url | PatternField::Domain)) {
            let mut domains = HashSet::new();
            'parts: for part in facts.url_parts() {
                for (url, found) in part.urls() {
                    content.urls.push(url);
                    let registered = match &found.target {
                        Some(LookupTarget::Domain(domain)) => Some(domain.as_str()),
                        Some(LookupTarget::Address(_)) | None => None,
                    };
                    for name in [Some(found.host.as_str()), registered].into_iter().flatten() {
                        if !name.is_empty() && domains.insert(name) {
                            content.domains.push(name.to_owned());
                        }
                    }
                    if content.urls.len() >= URLS_MAX {
                        break 'parts;
                    }
                }
            }
        }
        if wants(|field| *field == PatternField::From) {
            content.from = facts
                .parsed
                .as_ref()
                .and_then(|message| message.from()?.first()?.address().map(|address| address.trim().to_lowercase()))
                .filter(|address| !address.is_empty());
        }
        if wants(|field| *field == PatternField::Sender) {
            content.sender = Some(facts.envelope.sender.trim().to_lowercase()).filter(|sender| !sender.is_empty());
        }
        if wants(|field| *field == PatternField::AttachmentSha256) {
            for entity in facts.mime_entities(ENTITIES_MAX) {
                let part = entity.part;
                if !rules::is_attachment(part) {
                    continue;
                }
                let bytes: &[u8] = match &part.body {
                    PartType::Text(text) | PartType::Html(text) => text.as_bytes(),
                    PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes,
                    PartType::Message(_) | PartType::Multipart(_) => continue,
                };
                let digest = Sha256::digest(bytes);
                content.attachment_hashes.push(digest.iter().map(|byte| format!("{byte:02x}")).collect());
            }
        }
        content
    }

    fn values(&self, field: &PatternField) -> Vec<&str> {
        match field {
            PatternField::Subject => vec![self.subject],
            PatternField::Header(name) => self.rule.header_values(name),
            PatternField::Body => self.rule.body.iter().map(AsRef::as_ref).collect(),
            PatternField::Url => self.urls.clone(),
            PatternField::Domain => self.domains.iter().map(String::as_str).collect(),
            PatternField::From => self.from.as_deref().into_iter().collect(),
            PatternField::Sender => self.sender.as_deref().into_iter().collect(),
            PatternField::AttachmentName => self.rule.attachment_names.iter().map(AsRef::as_ref).collect(),
            PatternField::AttachmentSha256 => self.attachment_hashes.iter().map(String::as_str).collect(),
        }
    }
}

/// The pattern sets as a judge of the classification: the sets the first
/// recipient's `pattern_sets` enables (every recipient of a transaction shares
/// one verdict), on the classification's own parse.
pub struct PatternsJudge<'p> {
    pub sets: &'p PatternSets,
    /// The recipient's `pattern_sets` setting.
    pub enabled: &'p [String],
}

impl crate::classify::Judge for PatternsJudge<'_> {
    fn judge(&self, facts: &MessageFacts<'_>, findings: &mut Vec<Finding>) {
        findings.extend(check(self.sets, self.enabled, facts));
    }
}

/// A `spam` / `pattern` finding (extra `SOURCE:ID`) for each pattern of an
/// enabled set that matches, sets in order and patterns in file order, at most
/// [`FINDINGS_MAX`].
pub fn check(sets: &PatternSets, enabled: &[String], facts: &MessageFacts<'_>) -> Vec<Finding> {
    let active: Vec<&PatternSet> = sets.enabled(enabled).filter(|set| !set.is_empty()).collect();
    if active.is_empty() {
        return Vec::new();
    }
    let fields: HashSet<&PatternField> = active.iter().flat_map(|set| set.fields.iter().map(|(field, _)| field)).collect();
    let content = PatternContent::gather(facts, &fields);
    let mut findings = Vec::new();
    for set in active {
        for index in set.matches(&content) {
            if findings.len() >= FINDINGS_MAX {
                return findings;
            }
            findings.push(Finding::new(NAME, MainClass::Spam, Subclass::Pattern, format!("{}:{}", set.source, set.ids[index])));
        }
    }
    findings
}

#[cfg(test)]
mod tests;

//! Heuristic rule sets: weighted regex rules over a message, summed per set.
//!
//! Two sets: `heuristic-set1` ships with the binary ([`SET1_TOML`],
//! `crates/core/rules/heuristic-set1.toml`), `heuristic-set2` is the
//! installation's own (`[heuristics] set2 = "FILE.toml"`, loaded and validated
//! when the gateway starts). Both use one small TOML format:
//!
//! ```toml
//! limit = 8.0          # the sum at or above which the set decides alone (spam)
//! ham_limit = -6.0     # optional: the sum at or below which it decides not-spam
//!
//! [[rule]]
//! name = "SUBJ_ALL_CAPS"
//! header = "Subject"   # one of: header (+ regex), body, rawbody, uri, meta
//! regex = '(?-i)\A[^a-z]*[A-Z]{4}[^a-z]*\z'
//! weight = 1.0         # default 0: a helper only other rules' `meta` read
//! ```
//!
//! - `header` + `regex`: every top-level field of that name, decoded (encoded
//!   words, `Name <address>` for address fields); `raw = true` matches the field
//!   as written instead (encoded words kept, folds as spaces).
//! - `body`: the text parts that are not attachments, HTML converted to text.
//! - `rawbody`: the text and HTML parts as written (decoded from their transfer
//!   encoding and charset, tags kept: hidden text, `<img>`).
//! - `uri`: every URL of the text and HTML parts and each one's host name.
//! - `meta`: a boolean expression over other rules' names: `&&`, `||`, `!`,
//!   parentheses (a rule fires when its regex matches any of its values).
//!
//! Regexes are Rust `regex` syntax, case-sensitive unless they say `(?i)`, each
//! within 1 MiB compiled. Every regex on one field (one header name, body,
//! rawbody, uri) goes into one `RegexSet`, built once per set, so a field is
//! scanned about once whatever the number of rules ([`HeuristicSet::compile`]).
//! A regex with a word boundary runs alone, as for the filtering rules
//! (`rules::has_word_boundary`: a Unicode `\b` stops the set's lazy DFA), and so
//! does one with a counted repetition of 10 or more (it multiplies the set's states).
//!
//! Classes ([`HeuristicsJudge`]): a set whose sum reaches its `limit` is
//! `spam` / `heuristic-set1` (or `-set2`); one at or below its `ham_limit`
//! `not-spam` / the same; otherwise, when any weighted rule fired, an evidence
//! finding ([`Finding::evidence_only`]) carries the sum to the combined score.
//! The extra class names every rule that fired with its weight
//! (`sum 9.0 (limit 8.0): FORGED_OUTLOOK_TAGS +4.0, ...`).
//!
//! Why: a few structural tells (forged client headers, hidden text, obfuscated
//! words) are cheap and independent of the statistical tokens; the measured
//! per-rule hits on the shared corpus are in `docs/heuristics.md`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use mail_parser::PartType;
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;
use sluice_model::{Finding, MainClass, Subclass};

use crate::checks::rules::RuleContent;
use crate::message::MessageFacts;

pub const NAME: &str = "heuristics";

/// The shipped set, embedded in the binary.
pub const SET1_TOML: &str = include_str!("../../rules/heuristic-set1.toml");
/// How `SET1_TOML` is named in errors.
pub const SET1_FILE: &str = "heuristic-set1.toml (built in)";

/// The largest compiled program of one rule's regex.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// The largest compiled program of one field's `RegexSet` (past it the rules of
/// that field run one by one).
const SET_SIZE_LIMIT: usize = 32 << 20;
/// Most rules in one set.
pub const RULES_MAX: usize = 2000;
/// Most bytes of one text part a rule looks at: a spammer's 10 MB of text adds
/// nothing a rule would not see in the first MiB.
const PART_MAX: usize = 1 << 20;
/// Most MIME entities looked at (URLs: as for the filtering rules).
const ENTITIES_MAX: usize = 1000;

/// Which of the two sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetId {
    Set1,
    Set2,
}

impl SetId {
    pub fn subclass(self) -> Subclass {
        match self {
            SetId::Set1 => Subclass::HeuristicSet1,
            SetId::Set2 => Subclass::HeuristicSet2,
        }
    }
}

/// A set that does not load: the file, the rule (empty for the whole file) and
/// what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeuristicError {
    pub file: String,
    pub rule: String,
    pub what: String,
}

impl fmt::Display for HeuristicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rule.is_empty() {
            write!(f, "{}: {}", self.file, self.what)
        } else {
            write!(f, "{}: rule {}: {}", self.file, self.rule, self.what)
        }
    }
}

impl std::error::Error for HeuristicError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    limit: f64,
    ham_limit: Option<f64>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    name: String,
    #[serde(default)]
    weight: f64,
    #[allow(dead_code)] // documentation for the reader of the file
    description: Option<String>,
    header: Option<String>,
    #[serde(default)]
    raw: bool,
    regex: Option<String>,
    body: Option<String>,
    rawbody: Option<String>,
    uri: Option<String>,
    meta: Option<String>,
}

/// Where a regex rule looks.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Field {
    /// Lower-case header name; `true` for the field as written.
    Header(String, bool),
    Body,
    RawBody,
    Uri,
}

/// A boolean expression over rule indexes.
#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Rule(usize),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

impl Expr {
    fn eval(&self, fired: &[bool]) -> bool {
        match self {
            Expr::Rule(index) => fired[*index],
            Expr::Not(inner) => !inner.eval(fired),
            Expr::And(a, b) => a.eval(fired) && b.eval(fired),
            Expr::Or(a, b) => a.eval(fired) || b.eval(fired),
        }
    }

    fn rules(&self, out: &mut Vec<usize>) {
        match self {
            Expr::Rule(index) => out.push(*index),
            Expr::Not(inner) => inner.rules(out),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.rules(out);
                b.rules(out);
            }
        }
    }
}

/// Parses `&&`, `||`, `!`, parentheses and rule names; names resolve through
/// `index_of`.
struct MetaParser<'s, F: Fn(&str) -> Option<usize>> {
    tokens: Vec<&'s str>,
    at: usize,
    index_of: F,
}

impl<'s, F: Fn(&str) -> Option<usize>> MetaParser<'s, F> {
    fn parse(text: &'s str, index_of: F) -> Result<Expr, String> {
        let mut tokens = Vec::new();
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let c = bytes[at];
            if c.is_ascii_whitespace() {
                at += 1;
            } else if text[at..].starts_with("&&") || text[at..].starts_with("||") {
                tokens.push(&text[at..at + 2]);
                at += 2;
            } else if c == b'!' || c == b'(' || c == b')' {
                tokens.push(&text[at..at + 1]);
                at += 1;
            } else if c.is_ascii_alphanumeric() || c == b'_' {
                let end = text[at..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(text.len(), |n| at + n);
                tokens.push(&text[at..end]);
                at = end;
            } else {
                return Err(format!("meta: unexpected {:?}", &text[at..].chars().next().unwrap_or(' ')));
            }
        }
        if tokens.len() > 500 {
            return Err("meta: longer than 500 tokens".to_owned());
        }
        let mut parser = MetaParser { tokens, at: 0, index_of };
        let expr = parser.or(0)?;
        match parser.tokens.get(parser.at) {
            None => Ok(expr),
            Some(token) => Err(format!("meta: unexpected {token:?}")),
        }
    }

    fn or(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.and(depth)?;
        while self.tokens.get(self.at) == Some(&"||") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and(depth)?));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.unary(depth)?;
        while self.tokens.get(self.at) == Some(&"&&") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary(depth)?));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > 50 {
            return Err("meta: nested deeper than 50".to_owned());
        }
        let token = self.tokens.get(self.at).copied().ok_or("meta: expression ends too early")?;
        self.at += 1;
        match token {
            "!" => Ok(Expr::Not(Box::new(self.unary(depth + 1)?))),
            "(" => {
                let inner = self.or(depth + 1)?;
                if self.tokens.get(self.at) != Some(&")") {
                    return Err("meta: missing )".to_owned());
                }
                self.at += 1;
                Ok(inner)
            }
            "&&" | "||" | ")" => Err(format!("meta: unexpected {token:?}")),
            name => (self.index_of)(name).map(Expr::Rule).ok_or_else(|| format!("meta: unknown rule {name}")),
        }
    }
}

/// One field's regexes, compiled together.
struct FieldMatcher {
    field: Field,
    set: Option<RegexSet>,
    set_rules: Vec<usize>,
    singles: Vec<(Regex, usize)>,
}

impl FieldMatcher {
    fn matches(&self, text: &str, fired: &mut [bool]) {
        if let Some(set) = &self.set {
            for slot in set.matches(text).iter() {
                fired[self.set_rules[slot]] = true;
            }
        }
        for (regex, index) in &self.singles {
            if !fired[*index] && regex.is_match(text) {
                fired[*index] = true;
            }
        }
    }
}

/// One compiled set.
pub struct HeuristicSet {
    id: SetId,
    limit: f64,
    ham_limit: Option<f64>,
    names: Vec<String>,
    weights: Vec<f64>,
    matchers: Vec<FieldMatcher>,
    /// Meta rules in an order where every meta comes after the metas it reads.
    metas: Vec<(usize, Expr)>,
}

/// The sum of one set on one message and the weighted rules that fired.
#[derive(Clone, Debug, PartialEq)]
pub struct SetScore {
    pub sum: f64,
    /// `(rule name, weight)` of every fired rule with a weight, in file order.
    pub fired: Vec<(String, f64)>,
}

fn has_word_boundary(pattern: &str) -> bool {
    ["\\b", "\\B", "\\<", "\\>"].iter().any(|assertion| pattern.contains(assertion))
}

/// Whether a regex repeats something 10 times or more (`{10}`, `{40,}`): in a
/// shared set, every count multiplies the states of every other pattern's
/// automaton; alone, it costs one pass of its own.
fn has_large_repetition(pattern: &str) -> bool {
    pattern.as_bytes().windows(3).any(|w| w[0] == b'{' && w[1].is_ascii_digit() && w[2].is_ascii_digit())
}

fn single_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).size_limit(REGEX_SIZE_LIMIT).build()
}

impl HeuristicSet {
    /// The shipped set (it is tested to compile).
    pub fn set1() -> HeuristicSet {
        HeuristicSet::compile(SetId::Set1, SET1_FILE, SET1_TOML).unwrap_or_else(|error| {
            // A unit test compiles the embedded file: this cannot happen in a build
            // that passed its tests.
            panic!("the built-in heuristic set does not compile: {error}")
        })
    }

    /// Parses, validates and compiles a set; `file` names it in errors.
    pub fn compile(id: SetId, file: &str, text: &str) -> Result<HeuristicSet, HeuristicError> {
        let error = |rule: &str, what: String| HeuristicError { file: file.to_owned(), rule: rule.to_owned(), what };
        let parsed: SetFile = toml::from_str(text).map_err(|e| error("", e.to_string().trim().to_owned()))?;
        if !parsed.limit.is_finite() || parsed.limit <= 0.0 {
            return Err(error("", "limit must be a number above 0".to_owned()));
        }
        if let Some(ham) = parsed.ham_limit
            && (!ham.is_finite() || ham >= 0.0)
        {
            return Err(error("", "ham_limit must be a number below 0".to_owned()));
        }
        if parsed.rules.len() > RULES_MAX {
            return Err(error("", format!("more than {RULES_MAX} rules")));
        }
        let mut index_of: HashMap<&str, usize> = HashMap::new();
        for (index, rule) in parsed.rules.iter().enumerate() {
            let valid = !rule.name.is_empty()
                && rule.name.len() <= 100
                && rule.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid {
                return Err(error(&rule.name, "a name is 1 to 100 letters, digits and _".to_owned()));
            }
            if index_of.insert(&rule.name, index).is_some() {
                return Err(error(&rule.name, "defined twice".to_owned()));
            }
            if !rule.weight.is_finite() || rule.weight.abs() > 1000.0 {
                return Err(error(&rule.name, "weight must be a number between -1000 and 1000".to_owned()));
            }
        }
        let mut patterns: HashMap<Field, Vec<(String, usize)>> = HashMap::new();
        let mut metas = Vec::new();
        for (index, rule) in parsed.rules.iter().enumerate() {
            let kinds = [rule.header.is_some(), rule.body.is_some(), rule.rawbody.is_some(), rule.uri.is_some(), rule.meta.is_some()];
            if kinds.iter().filter(|kind| **kind).count() != 1 {
                return Err(error(&rule.name, "needs exactly one of header, body, rawbody, uri, meta".to_owned()));
            }
            if rule.regex.is_some() != rule.header.is_some() {
                return Err(error(&rule.name, "regex goes with header (and only with it)".to_owned()));
            }
            if rule.raw && rule.header.is_none() {
                return Err(error(&rule.name, "raw is for header rules".to_owned()));
            }
            if let Some(meta) = &rule.meta {
                let expr = MetaParser::parse(meta, |name| index_of.get(name).copied()).map_err(|what| error(&rule.name, what))?;
                metas.push((index, expr));
                continue;
            }
            let (field, pattern) = match (&rule.header, &rule.regex, &rule.body, &rule.rawbody, &rule.uri) {
                (Some(header), Some(regex), ..) => {
                    if header.is_empty() || !header.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
                        return Err(error(&rule.name, format!("header {header:?} is not a header field name")));
                    }
                    (Field::Header(header.to_ascii_lowercase(), rule.raw), regex)
                }
                (_, _, Some(body), ..) => (Field::Body, body),
                (_, _, _, Some(rawbody), _) => (Field::RawBody, rawbody),
                (_, _, _, _, Some(uri)) => (Field::Uri, uri),
                _ => return Err(error(&rule.name, "needs a regex".to_owned())),
            };
            single_regex(pattern).map_err(|e| error(&rule.name, format!("regex does not compile: {e}")))?;
            patterns.entry(field).or_default().push((pattern.clone(), index));
        }
        let metas = order_metas(metas, parsed.rules.len()).map_err(|name_index| {
            error(&parsed.rules[name_index].name, "meta rules read each other in a cycle".to_owned())
        })?;
        let mut matchers: Vec<FieldMatcher> = patterns.into_iter().map(|(field, patterns)| build_matcher(field, patterns)).collect();
        matchers.sort_by(|a, b| a.field.cmp(&b.field));
        Ok(HeuristicSet {
            id,
            limit: parsed.limit,
            ham_limit: parsed.ham_limit,
            names: parsed.rules.iter().map(|rule| rule.name.clone()).collect(),
            weights: parsed.rules.iter().map(|rule| rule.weight).collect(),
            matchers,
            metas,
        })
    }

    pub fn id(&self) -> SetId {
        self.id
    }

    pub fn limit(&self) -> f64 {
        self.limit
    }

    /// Every rule's name, in file order.
    pub fn rule_names(&self) -> &[String] {
        &self.names
    }

    /// Which rules fire on `content` (indexes as [`HeuristicSet::rule_names`]).
    pub fn fired(&self, content: &HeuristicContent<'_>) -> Vec<bool> {
        let mut fired = vec![false; self.names.len()];
        for matcher in &self.matchers {
            for text in content.values(&matcher.field) {
                matcher.matches(text, &mut fired);
            }
        }
        for (index, expr) in &self.metas {
            fired[*index] = expr.eval(&fired);
        }
        fired
    }

    /// The set's sum on `content` and the weighted rules that fired.
    pub fn score(&self, content: &HeuristicContent<'_>) -> SetScore {
        let fired = self.fired(content);
        let mut score = SetScore { sum: 0.0, fired: Vec::new() };
        for (index, _) in fired.iter().enumerate().filter(|(_, fired)| **fired) {
            let weight = self.weights[index];
            if weight != 0.0 {
                score.sum += weight;
                score.fired.push((self.names[index].clone(), weight));
            }
        }
        score
    }

    /// The finding of this set on `content`, if any rule with a weight fired.
    pub fn finding(&self, content: &HeuristicContent<'_>) -> Option<Finding> {
        let score = self.score(content);
        if score.fired.is_empty() {
            return None;
        }
        let rules: Vec<String> = score.fired.iter().map(|(name, weight)| format!("{name} {weight:+.1}")).collect();
        let sub = self.id.subclass();
        let sum = score.sum;
        let decides_spam = sum >= self.limit;
        let decides_ham = self.ham_limit.is_some_and(|ham| sum <= ham);
        let bound = match self.ham_limit {
            Some(ham) => format!("limits {:.1} / {ham:.1}", self.limit),
            None => format!("limit {:.1}", self.limit),
        };
        let extra = format!("sum {sum:.1} ({bound}): {}", rules.join(", "));
        let main = if sum > 0.0 { MainClass::Spam } else { MainClass::NotSpam };
        let finding = Finding::new(NAME, main, sub, extra);
        Some(if decides_spam || decides_ham { finding } else { finding.as_evidence(sum) })
    }
}

/// Orders meta rules so each comes after the metas it reads; `Err(rule)` names
/// a rule on a cycle.
fn order_metas(metas: Vec<(usize, Expr)>, rules: usize) -> Result<Vec<(usize, Expr)>, usize> {
    let mut is_meta = vec![false; rules];
    for (index, _) in &metas {
        is_meta[*index] = true;
    }
    let mut remaining = metas;
    let mut ordered = Vec::with_capacity(remaining.len());
    let mut done = vec![false; rules];
    while !remaining.is_empty() {
        let before = remaining.len();
        let mut rest = Vec::new();
        for (index, expr) in remaining {
            let mut reads = Vec::new();
            expr.rules(&mut reads);
            if reads.iter().all(|read| !is_meta[*read] || done[*read]) {
                done[index] = true;
                ordered.push((index, expr));
            } else {
                rest.push((index, expr));
            }
        }
        if rest.len() == before {
            return Err(rest[0].0);
        }
        remaining = rest;
    }
    Ok(ordered)
}

fn build_matcher(field: Field, patterns: Vec<(String, usize)>) -> FieldMatcher {
    let mut matcher = FieldMatcher { field, set: None, set_rules: Vec::new(), singles: Vec::new() };
    let (alone, together): (Vec<_>, Vec<_>) =
        patterns.into_iter().partition(|(pattern, _)| has_word_boundary(pattern) || has_large_repetition(pattern));
    matcher.singles.extend(alone.iter().filter_map(|(pattern, index)| Some((single_regex(pattern).ok()?, *index))));
    if !together.is_empty() {
        // The rules' DFA cache: a field of a set of hundreds of rules would
        // otherwise outgrow the default 2 MiB and run on the slow engine.
        let built = RegexSetBuilder::new(together.iter().map(|(pattern, _)| pattern))
            .size_limit(SET_SIZE_LIMIT)
            .dfa_size_limit(crate::checks::rules::DFA_SIZE_LIMIT)
            .build();
        match built {
            Ok(set) => {
                matcher.set = Some(set);
                matcher.set_rules = together.iter().map(|&(_, index)| index).collect();
            }
            Err(_) => matcher.singles.extend(together.iter().filter_map(|(pattern, index)| Some((single_regex(pattern).ok()?, *index)))),
        }
    }
    matcher
}

/// The message's fields the rules read, gathered once for both sets.
#[derive(Debug, Default)]
pub struct HeuristicContent<'m> {
    /// Decoded header fields (from the filtering rules' gathering).
    decoded: RuleContent<'m>,
    /// `(lower-case name, value as written with folds as spaces)`.
    raw_headers: Vec<(String, String)>,
    rawbody: Vec<Cow<'m, str>>,
    body: Vec<Cow<'m, str>>,
}

impl<'m> HeuristicContent<'m> {
    pub fn gather(facts: &'m MessageFacts<'_>) -> HeuristicContent<'m> {
        let mut content = HeuristicContent { decoded: RuleContent::headers_and_urls(facts), ..HeuristicContent::default() };
        for field in &facts.headers.fields {
            let value = String::from_utf8_lossy(field.value);
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            content.raw_headers.push((String::from_utf8_lossy(field.name).to_ascii_lowercase(), value));
        }
        let cut = |text: &'m str| -> &'m str {
            let mut end = text.len().min(PART_MAX);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            &text[..end]
        };
        for entity in facts.mime_entities(ENTITIES_MAX) {
            let part = entity.part;
            let attachment = mail_parser::MimeHeaders::attachment_name(part).is_some();
            match &part.body {
                PartType::Text(text) => {
                    content.rawbody.push(Cow::Borrowed(cut(text)));
                    if !attachment {
                        content.body.push(Cow::Borrowed(cut(text)));
                    }
                }
                PartType::Html(html) => {
                    content.rawbody.push(Cow::Borrowed(cut(html)));
                    if !attachment {
                        // mail-parser's rendering, not the message's shared one
                        // (`MessageFacts::html_parts`): set1's weights and its
                        // measured hits were fitted on this text; on the shared
                        // rendering IMAGE_ONLY and REMOVE_INSTRUCTIONS fire on
                        // fewer spam (measured, docs/decisions.md). Joining them
                        // means measuring and refitting set1 again.
                        content.body.push(Cow::Owned(mail_parser::decoders::html::html_to_text(cut(html))));
                    }
                }
                _ => {}
            }
        }
        content
    }

    fn values(&self, field: &Field) -> Vec<&str> {
        match field {
            Field::Header(name, false) => self.decoded.header_values(name),
            Field::Header(name, true) => self.raw_headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect(),
            Field::Body => self.body.iter().map(AsRef::as_ref).collect(),
            Field::RawBody => self.rawbody.iter().map(AsRef::as_ref).collect(),
            Field::Uri => self.decoded.urls.iter().map(AsRef::as_ref).collect(),
        }
    }
}

/// The installation's sets: the shipped one and its own, if any.
pub struct HeuristicSets {
    pub set1: HeuristicSet,
    pub set2: Option<HeuristicSet>,
}

impl HeuristicSets {
    /// The shipped set with `set2` (`[heuristics] set2`, compiled by the caller).
    pub fn new(set2: Option<HeuristicSet>) -> HeuristicSets {
        HeuristicSets { set1: HeuristicSet::set1(), set2 }
    }
}

/// The heuristic sets as a judge of the classification: set1 always, set2 when
/// the installation has one. Runs after the other judges, so a set that decides
/// alone is pushed before the statistical classifiers' finding (same tier: the
/// first pushed decides).
pub struct HeuristicsJudge<'h> {
    pub sets: &'h HeuristicSets,
}

impl crate::classify::Judge for HeuristicsJudge<'_> {
    fn judge(&self, facts: &MessageFacts<'_>, findings: &mut Vec<Finding>) {
        let content = HeuristicContent::gather(facts);
        for set in std::iter::once(&self.sets.set1).chain(self.sets.set2.as_ref()) {
            findings.extend(set.finding(&content));
        }
    }
}

#[cfg(test)]
mod tests;

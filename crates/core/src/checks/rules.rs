//! The administrators' filtering rules: which rules match a transaction for one
//! recipient.
//!
//! A rule has a name, a scope (as for the lists: global, one domain, one
//! mailbox), a field, an operator, a value, an action (allow or block) and an
//! enabled flag. A match is `allow-list` or `block-list` / `rule-<field>`, its
//! extra class the rule's name.
//!
//! Fields: from the envelope `helo`, `rcpt_to` (the recipient being judged),
//! `s_addr` (the envelope sender), `s_addr_spf` (the envelope sender, only when
//! SPF passed: nothing computes SPF yet, so such rules never match), `s_ip` (the
//! client address, operator `cidr` only), `s_hostname` (the client's
//! forward-confirmed reverse DNS name); from the message ([`RuleContent`], known
//! at DATA) `header` (every top-level field of the rule's header name, decoded),
//! `body` (the text parts, HTML as text), `decoded` (every decoded leaf part,
//! attachments included), `attachment_type` (declared and sniffed MIME types),
//! `attachment_name`, `url` (every URL in the text and HTML parts, hrefs
//! included, and the host name of each).
//!
//! Operators: `equals`, `contains`, `starts_with`, `ends_with`, `glob` (`*` any
//! run, `?` one character, the whole value), `regex` (Rust `regex`: linear time,
//! size-limited, found anywhere unless anchored), `cidr` (for `s_ip`). Every text
//! comparison ignores case.
//!
//! Why compiled [`Rules`]: each (scope, field, header name) gets one matcher, a
//! `RegexSet` for every pattern operator and one Aho-Corasick automaton for the
//! ASCII `contains` values, so a field's text is scanned about twice whatever the
//! number of rules on it. A regex with a word boundary runs on its own (see
//! `has_word_boundary`).
//!
//! Stages: [`check`] at RCPT with the envelope fields; at DATA [`RulesJudge`]
//! runs inside the classification, on its parse of the message.
//!
//! Scopes: the narrowest scope with a matching rule decides ([`check`]), as for
//! the lists; within one scope every match is reported and the verdict's
//! precedence applies (allow over block).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use aho_corasick::AhoCorasick;
use mail_parser::{HeaderValue, MimeHeaders, PartType};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};
use sluice_model::{Finding, MainClass, Subclass};

use crate::checks::lists::{parse_block, Block, ListScope};
use crate::message::MessageFacts;

pub const NAME: &str = "rules";

/// The largest compiled program one rule's regex may take.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// The largest compiled program of one shared `RegexSet`; past it the rules of
/// that matcher are run one by one (each within [`REGEX_SIZE_LIMIT`]).
pub(crate) const SET_SIZE_LIMIT: usize = 32 << 20;
/// The most memory the lazy DFA of one shared `RegexSet` may cache (per
/// thread, grown only as the texts need it). The lazy DFA needs room for a few
/// states at least, and a state of a set of thousands of regexes is large: under
/// the default 2 MiB a set of 5,000 regexes never used it and ran on the PikeVM,
/// about 20,000 times slower (docs/decisions.md).
pub(crate) const DFA_SIZE_LIMIT: usize = 32 << 20;
/// The most literal matches one text is searched for (see `Matcher::match_text`).
pub(crate) const LITERAL_MATCHES_MAX: usize = 100_000;
/// The longest rule value accepted.
pub const VALUE_MAX: usize = 4096;
/// The most bytes of one binary part that `decoded` rules look at.
const DECODED_PART_MAX: usize = 1 << 20;
/// The most URLs taken from one message.
const URLS_MAX: usize = 1000;
/// The most MIME entities looked at.
const ENTITIES_MAX: usize = 1000;

macro_rules! names {
    ($kind:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $kind {
            pub const ALL: &'static [$kind] = &[$($kind::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($kind::$variant => $text),* }
            }

            pub fn parse(text: &str) -> Option<$kind> {
                $kind::ALL.iter().copied().find(|item| item.as_str() == text)
            }
        }

        impl fmt::Display for $kind {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// What a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleField {
    Header,
    Body,
    Decoded,
    AttachmentType,
    AttachmentName,
    Helo,
    RcptTo,
    SAddr,
    SAddrSpf,
    SIp,
    SHostname,
    Url,
}

names!(RuleField {
    Header => "header",
    Body => "body",
    Decoded => "decoded",
    AttachmentType => "attachment_type",
    AttachmentName => "attachment_name",
    Helo => "helo",
    RcptTo => "rcpt_to",
    SAddr => "s_addr",
    SAddrSpf => "s_addr_spf",
    SIp => "s_ip",
    SHostname => "s_hostname",
    Url => "url",
});

impl RuleField {
    pub fn subclass(self) -> Subclass {
        match self {
            RuleField::Header => Subclass::RuleHeader,
            RuleField::Body => Subclass::RuleBody,
            RuleField::Decoded => Subclass::RuleDecoded,
            RuleField::AttachmentType => Subclass::RuleAttachmentType,
            RuleField::AttachmentName => Subclass::RuleAttachmentName,
            RuleField::Helo => Subclass::RuleHelo,
            RuleField::RcptTo => Subclass::RuleRcptTo,
            RuleField::SAddr => Subclass::RuleSAddr,
            RuleField::SAddrSpf => Subclass::RuleSAddrSpf,
            RuleField::SIp => Subclass::RuleSIp,
            RuleField::SHostname => Subclass::RuleSHostname,
            RuleField::Url => Subclass::RuleUrl,
        }
    }

    /// Whether the field is known only once the message is in (DATA).
    pub fn is_content(self) -> bool {
        matches!(
            self,
            RuleField::Header | RuleField::Body | RuleField::Decoded | RuleField::AttachmentType | RuleField::AttachmentName | RuleField::Url
        )
    }
}

/// How a rule's value is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleOperator {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
    Glob,
    Regex,
    Cidr,
}

names!(RuleOperator {
    Equals => "equals",
    Contains => "contains",
    StartsWith => "starts_with",
    EndsWith => "ends_with",
    Glob => "glob",
    Regex => "regex",
    Cidr => "cidr",
});

/// What a match of the rule means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleAction {
    Allow,
    Block,
}

names!(RuleAction { Allow => "allow", Block => "block" });

impl RuleAction {
    pub fn main_class(self) -> MainClass {
        match self {
            RuleAction::Allow => MainClass::AllowList,
            RuleAction::Block => MainClass::BlockList,
        }
    }
}

/// One rule as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: i64,
    pub name: String,
    pub scope: ListScope,
    pub field: RuleField,
    /// The header name, for field `header` only (kept as written).
    pub header: Option<String>,
    pub operator: RuleOperator,
    pub value: String,
    pub action: RuleAction,
    pub enabled: bool,
}

/// Why a rule is refused: the request field at fault and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub field: &'static str,
    pub reason: String,
}

impl RuleError {
    fn new(field: &'static str, reason: impl Into<String>) -> RuleError {
        RuleError { field, reason: reason.into() }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for RuleError {}

/// Checks what parsing cannot: a name, the header name exactly for field
/// `header`, `cidr` exactly for `s_ip`, a value that compiles within the limits.
pub fn validate(rule: &Rule) -> Result<(), RuleError> {
    let name = rule.name.trim();
    if name.is_empty() || name.len() > 200 || name.contains(char::is_control) {
        return Err(RuleError::new("name", "must be 1 to 200 characters, no control characters"));
    }
    match (&rule.header, rule.field) {
        (None, RuleField::Header) => return Err(RuleError::new("header", "required for field header")),
        (Some(header), RuleField::Header) => {
            if header.is_empty() || header.len() > 200 || !header.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
                return Err(RuleError::new("header", format!("{header:?} is not a header field name")));
            }
        }
        (Some(_), _) => return Err(RuleError::new("header", "only for field header")),
        (None, _) => {}
    }
    if (rule.field == RuleField::SIp) != (rule.operator == RuleOperator::Cidr) {
        return Err(RuleError::new("operator", "cidr is the operator of field s_ip, and its only one"));
    }
    if rule.value.is_empty() || rule.value.len() > VALUE_MAX {
        return Err(RuleError::new("value", format!("must be 1 to {VALUE_MAX} bytes")));
    }
    match rule.operator {
        RuleOperator::Cidr => parse_block(rule.value.trim()).map(drop).map_err(|reason| RuleError::new("value", reason)),
        operator => single_regex(&pattern(operator, &rule.value))
            .map(drop)
            .map_err(|error| RuleError::new("value", format!("does not compile: {error}"))),
    }
}

/// The regex of a pattern operator's value (every operator but `contains` with
/// an ASCII value, and `cidr`, goes into the regex set).
fn pattern(operator: RuleOperator, value: &str) -> String {
    match operator {
        RuleOperator::Equals => format!(r"\A(?:{})\z", regex::escape(value)),
        RuleOperator::Contains => regex::escape(value),
        RuleOperator::StartsWith => format!(r"\A(?:{})", regex::escape(value)),
        RuleOperator::EndsWith => format!(r"(?:{})\z", regex::escape(value)),
        RuleOperator::Glob => {
            let mut out = String::from(r"\A(?s:");
            for c in value.chars() {
                match c {
                    '*' => out.push_str(".*"),
                    '?' => out.push('.'),
                    c => out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
                }
            }
            out.push_str(r")\z");
            out
        }
        RuleOperator::Regex | RuleOperator::Cidr => value.to_owned(),
    }
}

pub(crate) fn single_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).case_insensitive(true).size_limit(REGEX_SIZE_LIMIT).build()
}

/// Every rule on one field (and header name) of one scope, compiled together.
/// Shared with the external pattern sets (`checks::patterns`), whose text
/// fields match the same way.
#[derive(Default)]
pub(crate) struct Matcher {
    set: Option<RegexSet>,
    set_rules: Vec<usize>,
    /// The set's rules one by one, when the set went past [`SET_SIZE_LIMIT`].
    singles: Vec<(Regex, usize)>,
    literals: Option<AhoCorasick>,
    literal_rules: Vec<usize>,
    blocks: Vec<(Block, usize)>,
}

#[derive(Default)]
pub(crate) struct MatcherBuilder {
    patterns: Vec<(String, usize)>,
    literals: Vec<(String, usize)>,
    singles: Vec<(Regex, usize)>,
    blocks: Vec<(Block, usize)>,
}

/// Whether a regex may hold a word-boundary assertion (`\b`, `\B`, `\<`, `\>`,
/// `\b{...}`); an escaped backslash before a `b` counts too, harmlessly.
pub(crate) fn has_word_boundary(pattern: &str) -> bool {
    ["\\b", "\\B", "\\<", "\\>"].iter().any(|assertion| pattern.contains(assertion))
}

impl MatcherBuilder {
    fn add(&mut self, rule: &Rule, index: usize) {
        match rule.operator {
            RuleOperator::Cidr => {
                if let Ok(block) = parse_block(rule.value.trim()) {
                    self.blocks.push((block, index));
                }
            }
            RuleOperator::Contains => self.add_contains(&rule.value, index),
            RuleOperator::Regex if has_word_boundary(&rule.value) => self.add_alone(&rule.value, index),
            operator => self.patterns.push((pattern(operator, &rule.value), index)),
        }
    }

    /// A case-insensitive substring: into the Aho-Corasick automaton when ASCII,
    /// else into the regex set.
    pub(crate) fn add_contains(&mut self, value: &str, index: usize) {
        if value.is_ascii() {
            self.literals.push((value.to_owned(), index));
        } else {
            self.patterns.push((pattern(RuleOperator::Contains, value), index));
        }
    }

    /// A regex (compiled case-insensitively unless it says `(?-i)`) into the set.
    pub(crate) fn add_to_set(&mut self, regex: &str, index: usize) {
        self.patterns.push((regex.to_owned(), index));
    }

    /// A regex run on its own rather than in the set. For those with a word
    /// boundary: a Unicode word boundary stops the set's lazy DFA at the first
    /// non-ASCII byte and leaves every pattern of the set to the slow PikeVM;
    /// alone, the regex keeps its literal prefilter.
    fn add_alone(&mut self, regex: &str, index: usize) {
        if let Ok(regex) = single_regex(regex) {
            self.singles.push((regex, index));
        }
    }

    /// Whether nothing was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.patterns.is_empty() && self.literals.is_empty() && self.singles.is_empty() && self.blocks.is_empty()
    }

    /// [`MatcherBuilder::build`] that fails instead of running the regexes one
    /// by one when the set or the automaton goes past its limit: for pattern
    /// sets of thousands of third-party patterns, where one by one would make
    /// each message cost as many scans.
    pub(crate) fn build_within_limits(self) -> Result<Matcher, String> {
        self.compile(false)
    }

    pub(crate) fn build(self) -> Matcher {
        self.compile(true).unwrap_or_default()
    }

    /// The matcher; past a limit, the rules concerned run one by one when
    /// `one_by_one_past_limits`, else the limit is the error.
    fn compile(self, one_by_one_past_limits: bool) -> Result<Matcher, String> {
        let mut matcher = Matcher { blocks: self.blocks, singles: self.singles, ..Matcher::default() };
        if !self.literals.is_empty() {
            let built = AhoCorasick::builder().ascii_case_insensitive(true).build(self.literals.iter().map(|(value, _)| value));
            match built {
                Ok(automaton) => {
                    matcher.literals = Some(automaton);
                    matcher.literal_rules = self.literals.iter().map(|&(_, index)| index).collect();
                }
                Err(error) if !one_by_one_past_limits => return Err(format!("the literals do not fit one automaton: {error}")),
                // Too many literals for one automaton: they go one by one.
                Err(_) => matcher.singles.extend(self.literals.iter().filter_map(|(value, index)| Some((single_regex(&regex::escape(value)).ok()?, *index)))),
            }
        }
        if !self.patterns.is_empty() {
            let set = RegexSetBuilder::new(self.patterns.iter().map(|(pattern, _)| pattern))
                .case_insensitive(true)
                .size_limit(SET_SIZE_LIMIT)
                .dfa_size_limit(DFA_SIZE_LIMIT)
                .build();
            match set {
                Ok(set) => {
                    matcher.set = Some(set);
                    matcher.set_rules = self.patterns.iter().map(|&(_, index)| index).collect();
                }
                Err(error) if !one_by_one_past_limits => {
                    return Err(format!("the regexes together do not compile within {} MiB: {error}", SET_SIZE_LIMIT >> 20));
                }
                // Rules that do not compile were refused when stored; past the
                // set's limit each runs alone.
                Err(_) => matcher.singles.extend(self.patterns.iter().filter_map(|(pattern, index)| Some((single_regex(pattern).ok()?, *index)))),
            }
        }
        Ok(matcher)
    }
}

impl Matcher {
    /// How many rules it matches.
    pub(crate) fn len(&self) -> usize {
        self.set_rules.len() + self.literal_rules.len() + self.singles.len() + self.blocks.len()
    }

    /// Pushes the index of every rule that matches `text` (a rule may come twice).
    pub(crate) fn match_text(&self, text: &str, hits: &mut Vec<usize>) {
        if let Some(set) = &self.set {
            hits.extend(set.matches(text).iter().map(|slot| self.set_rules[slot]));
        }
        if let Some(automaton) = &self.literals {
            // Each literal once: a text of one repeated letter would otherwise
            // push a hit per octet and per literal that ends there. And no more
            // than `LITERAL_MATCHES_MAX` matches looked at: with overlapping
            // literals (`a`, `aa`, `aaa`...) their number grows with the text
            // times the literals; past it, every literal reported did match,
            // and any match already decides (a block rule beside an unreached
            // allow rule only refuses mail that floods its own text).
            let mut seen = std::collections::HashSet::new();
            for found in automaton.find_overlapping_iter(text).take(LITERAL_MATCHES_MAX) {
                let slot = found.pattern().as_usize();
                if seen.insert(slot) {
                    hits.push(self.literal_rules[slot]);
                }
            }
        }
        hits.extend(self.singles.iter().filter(|(regex, _)| regex.is_match(text)).map(|&(_, index)| index));
    }

    fn match_ip(&self, ip: IpAddr, hits: &mut Vec<usize>) {
        hits.extend(self.blocks.iter().filter(|(block, _)| block.contains(ip)).map(|&(_, index)| index));
    }
}

/// Where a matcher applies: the field and, for `header`, the header name in
/// lower case (empty otherwise).
type MatcherKey = (RuleField, String);

#[derive(Default)]
struct ScopeRules {
    matchers: Vec<(MatcherKey, Matcher)>,
}

/// The enabled rules, compiled for matching. Build once per change
/// ([`Rules::new`]).
#[derive(Default)]
pub struct Rules {
    rules: Vec<Rule>,
    global: ScopeRules,
    domains: HashMap<String, ScopeRules>,
    mailboxes: HashMap<String, ScopeRules>,
    /// The content fields some rule looks at (bit `1 << field`).
    content_fields: u16,
    needs_hostname: bool,
}

impl Rules {
    /// Compiles the enabled rules of `rules`; rules that do not validate are
    /// skipped (they are validated before they are stored, so none should be).
    pub fn new(rules: Vec<Rule>) -> Rules {
        let mut builders: HashMap<ListScope, HashMap<MatcherKey, MatcherBuilder>> = HashMap::new();
        let rules: Vec<Rule> = rules.into_iter().filter(|rule| rule.enabled && validate(rule).is_ok()).collect();
        for (index, rule) in rules.iter().enumerate() {
            let header = rule.header.as_deref().unwrap_or_default().to_ascii_lowercase();
            builders.entry(rule.scope.clone()).or_default().entry((rule.field, header)).or_default().add(rule, index);
        }
        let mut compiled = Rules {
            content_fields: rules.iter().filter(|rule| rule.field.is_content()).fold(0, |bits, rule| bits | field_bit(rule.field)),
            needs_hostname: rules.iter().any(|rule| rule.field == RuleField::SHostname),
            ..Rules::default()
        };
        for (scope, by_key) in builders {
            let mut matchers: Vec<(MatcherKey, Matcher)> = by_key.into_iter().map(|(key, builder)| (key, builder.build())).collect();
            matchers.sort_by(|a, b| a.0.cmp(&b.0));
            let scope_rules = ScopeRules { matchers };
            match scope {
                ListScope::Global => compiled.global = scope_rules,
                ListScope::Domain(name) => {
                    compiled.domains.insert(name, scope_rules);
                }
                ListScope::Mailbox(address) => {
                    compiled.mailboxes.insert(address, scope_rules);
                }
            }
        }
        compiled.rules = rules;
        compiled
    }

    /// Whether a rule looks at the message (so DATA must gather [`RuleContent`]).
    pub fn needs_content(&self) -> bool {
        self.content_fields != 0
    }

    /// The message's fields that some rule looks at (the others stay empty).
    pub fn gather<'m>(&self, facts: &'m MessageFacts<'_>) -> RuleContent<'m> {
        RuleContent::gather(facts, self.content_fields)
    }

    /// Whether a rule looks at the client's host name (so it must be looked up).
    pub fn needs_hostname(&self) -> bool {
        self.needs_hostname
    }

    /// The enabled rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// What the rules are matched against, as far as the stage knows it.
#[derive(Clone, Copy, Debug, Default)]
pub struct RuleFacts<'a> {
    pub client_ip: Option<IpAddr>,
    pub helo: Option<&'a str>,
    /// The client's reverse DNS name, only when forward-confirmed.
    pub hostname: Option<&'a str>,
    /// The envelope sender; `None` for `<>`.
    pub sender: Option<&'a str>,
    /// SPF passed for the envelope sender. Nothing computes SPF yet: false.
    pub sender_spf_pass: bool,
    /// The message, at DATA.
    pub content: Option<&'a RuleContent<'a>>,
}

fn field_bit(field: RuleField) -> u16 {
    1 << field as u16
}

/// The message's fields for the content rules, gathered once per message,
/// borrowed from the parsed message where it can be.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleContent<'m> {
    /// Top-level header fields: name as written, decoded value.
    pub headers: Vec<(&'m str, Cow<'m, str>)>,
    /// The text parts that are not attachments, HTML converted to text.
    pub body: Vec<Cow<'m, str>>,
    /// Every decoded leaf part (text as is, binary as lossy UTF-8, bounded).
    pub decoded: Vec<Cow<'m, str>>,
    /// The declared MIME type of every attachment, and its sniffed type.
    pub attachment_types: Vec<Cow<'m, str>>,
    pub attachment_names: Vec<Cow<'m, str>>,
    /// Every URL in the text and HTML parts, and each one's host name.
    pub urls: Vec<Cow<'m, str>>,
}

impl<'m> RuleContent<'m> {
    /// Every field of the message (nothing when it did not parse).
    pub fn from_message(facts: &'m MessageFacts<'_>) -> RuleContent<'m> {
        RuleContent::gather(facts, u16::MAX)
    }

    /// The header fields and the URLs only (the heuristic rule sets read them).
    pub fn headers_and_urls(facts: &'m MessageFacts<'_>) -> RuleContent<'m> {
        RuleContent::gather(facts, field_bit(RuleField::Header) | field_bit(RuleField::Url))
    }

    /// The given fields only (the external pattern sets read the header
    /// fields, the body and the attachment names as the rules do).
    pub fn of_fields(facts: &'m MessageFacts<'_>, fields: &[RuleField]) -> RuleContent<'m> {
        RuleContent::gather(facts, fields.iter().fold(0, |bits, field| bits | field_bit(*field)))
    }

    /// The decoded values of every top-level field named `name` (any case).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.values(RuleField::Header, name)
    }

    /// The fields whose bit (`1 << field`) is in `wanted`.
    fn gather(facts: &'m MessageFacts<'_>, wanted: u16) -> RuleContent<'m> {
        let wants = |field: RuleField| wanted & field_bit(field) != 0;
        let mut content = RuleContent::default();
        let Some(message) = &facts.parsed else {
            return content;
        };
        if wants(RuleField::Header) {
            for header in message.headers() {
                let value = match header.value() {
                    HeaderValue::Text(text) => Cow::Borrowed(text.as_ref()),
                    HeaderValue::TextList(list) => Cow::Owned(list.join(", ")),
                    HeaderValue::Address(address) => Cow::Owned(
                        address
                            .iter()
                            .map(|addr| match (addr.name(), addr.address()) {
                                (Some(name), Some(address)) => format!("{name} <{address}>"),
                                (None, Some(address)) => address.to_owned(),
                                (Some(name), None) => name.to_owned(),
                                (None, None) => String::new(),
                            })
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    // Dates, content types, Received: the field as written, unfolded.
                    _ => {
                        let raw = facts.raw.get(header.offset_start() as usize..header.offset_end() as usize).unwrap_or_default();
                        Cow::Owned(String::from_utf8_lossy(raw).split_whitespace().collect::<Vec<_>>().join(" "))
                    }
                };
                content.headers.push((header.name(), value));
            }
        }
        if wants(RuleField::Url) {
            // The message's URLs, found once for every check that reads links.
            'parts: for part in facts.url_parts() {
                for (url, found) in part.urls() {
                    content.urls.push(Cow::Borrowed(url));
                    if !found.host.is_empty() {
                        content.urls.push(Cow::Borrowed(found.host.as_str()));
                    }
                    if content.urls.len() >= URLS_MAX {
                        content.urls.truncate(URLS_MAX);
                        break 'parts;
                    }
                }
            }
        }
        let parts = [RuleField::Body, RuleField::Decoded, RuleField::AttachmentType, RuleField::AttachmentName];
        if !parts.into_iter().any(wants) {
            return content;
        }
        for entity in facts.mime_entities(ENTITIES_MAX) {
            let part = entity.part;
            let attachment = is_attachment(part);
            let bytes: Option<&[u8]> = match &part.body {
                PartType::Text(text) => {
                    if !attachment && wants(RuleField::Body) {
                        content.body.push(Cow::Borrowed(text.as_ref()));
                    }
                    if wants(RuleField::Decoded) {
                        content.decoded.push(Cow::Borrowed(text.as_ref()));
                    }
                    Some(text.as_bytes())
                }
                PartType::Html(html) => {
                    if !attachment && wants(RuleField::Body) {
                        // The message's one rendering (shared with the other
                        // checks that read HTML), not a second renderer.
                        let text = match facts.rendered_html(html) {
                            Some(rendered) => Cow::Borrowed(rendered.text.as_str()),
                            None => {
                                let mut text = String::new();
                                crate::html::html_to_text(html, &mut text);
                                Cow::Owned(text)
                            }
                        };
                        content.body.push(text);
                    }
                    if wants(RuleField::Decoded) {
                        content.decoded.push(Cow::Borrowed(html.as_ref()));
                    }
                    Some(html.as_bytes())
                }
                PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                    if wants(RuleField::Decoded) {
                        let head = &bytes[..bytes.len().min(DECODED_PART_MAX)];
                        content.decoded.push(String::from_utf8_lossy(head));
                    }
                    Some(bytes.as_ref())
                }
                PartType::Message(_) | PartType::Multipart(_) => None,
            };
            if let (true, Some(bytes)) = (attachment, bytes) {
                if wants(RuleField::AttachmentType) {
                    let declared = entity.content_type();
                    if let Some(sniffed) = sniff(bytes).filter(|sniffed| *sniffed != declared) {
                        content.attachment_types.push(Cow::Borrowed(sniffed));
                    }
                    if !declared.is_empty() {
                        content.attachment_types.push(Cow::Owned(declared));
                    }
                }
                if let Some(name) = part.attachment_name().filter(|_| wants(RuleField::AttachmentName)) {
                    content.attachment_names.push(Cow::Borrowed(name));
                }
            }
        }
        content
    }

    fn values(&self, field: RuleField, header: &str) -> Vec<&str> {
        fn strings<'s>(list: &'s [Cow<'_, str>]) -> Vec<&'s str> {
            list.iter().map(AsRef::as_ref).collect()
        }
        match field {
            RuleField::Header => self.headers.iter().filter(|(name, _)| name.eq_ignore_ascii_case(header)).map(|(_, value)| value.as_ref()).collect(),
            RuleField::Body => strings(&self.body),
            RuleField::Decoded => strings(&self.decoded),
            RuleField::AttachmentType => strings(&self.attachment_types),
            RuleField::AttachmentName => strings(&self.attachment_names),
            RuleField::Url => strings(&self.urls),
            RuleField::Helo | RuleField::RcptTo | RuleField::SAddr | RuleField::SAddrSpf | RuleField::SIp | RuleField::SHostname => Vec::new(),
        }
    }
}

/// Whether a MIME part is an attachment: named, disposed as one, or binary.
pub(crate) fn is_attachment(part: &mail_parser::MessagePart<'_>) -> bool {
    part.attachment_name().is_some()
        || part.content_disposition().is_some_and(|disposition| disposition.is_attachment())
        || matches!(part.body, PartType::Binary(_) | PartType::InlineBinary(_))
}

/// The MIME type a part's first bytes show, for the formats an admin blocks.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"PK\x05\x06", "application/zip"),
        (b"MZ", "application/x-msdownload"),
        (b"\x7fELF", "application/x-executable"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
        (b"Rar!\x1a\x07", "application/vnd.rar"),
        (b"\x1f\x8b", "application/gzip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
        (b"{\\rtf", "application/rtf"),
    ];
    MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)).map(|&(_, mime)| mime)
}

/// The rules as a judge of the classification (`classify::classify_parsed`),
/// for the first recipient (every recipient of a transaction shares one
/// verdict): the envelope fields again and the message's, gathered from the
/// classification's own parse.
pub struct RulesJudge<'r> {
    pub rules: &'r Rules,
    /// The client's forward-confirmed host name, when it was looked up.
    pub hostname: Option<&'r str>,
    /// SPF passed for the envelope sender (`s_addr_spf` rules).
    pub sender_spf_pass: bool,
}

impl crate::classify::Judge for RulesJudge<'_> {
    fn judge(&self, facts: &MessageFacts<'_>, findings: &mut Vec<Finding>) {
        let Some(recipient) = facts.envelope.recipients.first().filter(|_| !self.rules.is_empty()) else {
            return;
        };
        let content = self.rules.needs_content().then(|| self.rules.gather(facts));
        let envelope = facts.envelope;
        let rule_facts = RuleFacts {
            client_ip: envelope.client_ip,
            helo: (!envelope.helo.is_empty()).then_some(envelope.helo.as_str()),
            hostname: self.hostname,
            sender: (!envelope.sender.is_empty()).then_some(envelope.sender.as_str()),
            sender_spf_pass: self.sender_spf_pass,
            content: content.as_ref(),
        };
        findings.extend(check(self.rules, &rule_facts, recipient));
    }
}

/// The rule findings for `recipient`: those of the narrowest scope (mailbox,
/// domain, global) with any rule that matches; none when no rule does. Content
/// rules match only when `facts.content` is there (DATA).
pub fn check(rules: &Rules, facts: &RuleFacts<'_>, recipient: &str) -> Vec<Finding> {
    if rules.is_empty() {
        return Vec::new();
    }
    let recipient = recipient.trim_end_matches('.').to_ascii_lowercase();
    let domain = recipient.rsplit_once('@').map_or("", |(_, domain)| domain);
    let scopes = [rules.mailboxes.get(&recipient), rules.domains.get(domain), Some(&rules.global)];
    for scope in scopes.into_iter().flatten() {
        let findings = matches_in_scope(rules, scope, facts, &recipient);
        if !findings.is_empty() {
            return findings;
        }
    }
    Vec::new()
}

fn matches_in_scope(rules: &Rules, scope: &ScopeRules, facts: &RuleFacts<'_>, recipient: &str) -> Vec<Finding> {
    let mut hits = Vec::new();
    for ((field, header), matcher) in &scope.matchers {
        match field {
            RuleField::SIp => {
                if let Some(ip) = facts.client_ip {
                    matcher.match_ip(ip, &mut hits);
                }
                continue;
            }
            RuleField::SAddrSpf if !facts.sender_spf_pass => continue,
            _ => {}
        }
        let values: Vec<Cow<'_, str>> = match field {
            RuleField::Helo => facts.helo.map(|helo| Cow::Borrowed(helo.trim())).into_iter().collect(),
            RuleField::RcptTo => vec![Cow::Borrowed(recipient)],
            RuleField::SAddr | RuleField::SAddrSpf => facts.sender.map(Cow::Borrowed).into_iter().collect(),
            RuleField::SHostname => facts.hostname.map(|name| Cow::Borrowed(name.trim_end_matches('.'))).into_iter().collect(),
            RuleField::SIp => Vec::new(),
            RuleField::Header | RuleField::Body | RuleField::Decoded | RuleField::AttachmentType | RuleField::AttachmentName | RuleField::Url => {
                match facts.content {
                    Some(content) => content.values(*field, header).into_iter().map(Cow::Borrowed).collect(),
                    None => Vec::new(),
                }
            }
        };
        for value in &values {
            matcher.match_text(value, &mut hits);
        }
    }
    hits.sort_unstable();
    hits.dedup();
    hits.into_iter()
        .map(|index| {
            let rule = &rules.rules[index];
            Finding::new(NAME, rule.action.main_class(), rule.field.subclass(), rule.name.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests;

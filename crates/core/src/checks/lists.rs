//! The administrators' allow lists and block lists: which entry, if any, matches
//! a transaction for one recipient.
//!
//! An entry names a list (allow or block), a scope (global, one domain, one
//! mailbox), a field and a value:
//! - `sender` (envelope sender, and the header From at DATA) and `recipient`: an
//!   exact address `a@example.test`, a whole domain `example.test` (also written
//!   `@example.test` or `*@example.test`), or its subdomains `*.example.test`
//!   (any depth, not the domain itself);
//! - `ip`: an address or a CIDR block, IPv4 or IPv6 (an IPv4-mapped IPv6 client
//!   address matches the IPv4 entries);
//! - `helo`: the HELO/EHLO name, exactly or `*.domain`;
//! - `hostname`: the client's forward-confirmed reverse DNS name, exactly or
//!   `*.domain`.
//!
//! Classes (extra class: the entry's list, id, scope, field and value):
//! - allow `sender` -> `allow-list` / `sender`, but only when SPF, DKIM or DMARC
//!   passed for that sender, unless the entry says `unauthenticated` (then the
//!   extra class says so); `recipient` -> `allow-list` / `recipient`; `ip`,
//!   `helo`, `hostname` -> `allow-list` / `rule-s_ip`, `rule-helo`,
//!   `rule-s_hostname` (the taxonomy has no plainer allow-list subclass for them);
//! - block `sender` -> `block-list` / `sender` (550 "We do not accept mail from
//!   this address"), `recipient` -> `block-list` / `recipient` (the spec's
//!   blackhole: 250, discarded), `ip` -> `block-list` / `ip` (550 "Blacklisted
//!   sending server"), `helo` -> `block-list` / `ehlo`, `hostname` ->
//!   `block-list` / `rule-s_hostname`.
//!
//! Scopes: the narrowest scope with a matching entry decides ([`check`]): the
//! recipient's mailbox, then its domain, then global. A mailbox allow entry thus
//! beats a global block entry, for that mailbox only. Within one scope every
//! matching entry is reported and the verdict's precedence applies (allow over
//! block).
//!
//! Why a compiled [`Lists`]: admins keep thousands of entries; addresses and
//! domains are hash lookups (a `*.domain` entry costs one lookup per label of the
//! name looked up), CIDR blocks one hash lookup per distinct prefix length.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use sluice_model::{Finding, MainClass, Subclass};

pub const NAME: &str = "lists";

/// Which list an entry is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    Allow,
    Block,
}

impl ListKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Allow => "allow",
            ListKind::Block => "block",
        }
    }

    pub fn parse(text: &str) -> Option<ListKind> {
        match text {
            "allow" => Some(ListKind::Allow),
            "block" => Some(ListKind::Block),
            _ => None,
        }
    }
}

/// What an entry is matched against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListField {
    Sender,
    Recipient,
    Ip,
    Helo,
    Hostname,
}

impl ListField {
    pub const ALL: [ListField; 5] = [ListField::Sender, ListField::Recipient, ListField::Ip, ListField::Helo, ListField::Hostname];

    pub fn as_str(self) -> &'static str {
        match self {
            ListField::Sender => "sender",
            ListField::Recipient => "recipient",
            ListField::Ip => "ip",
            ListField::Helo => "helo",
            ListField::Hostname => "hostname",
        }
    }

    pub fn parse(text: &str) -> Option<ListField> {
        ListField::ALL.into_iter().find(|field| field.as_str() == text)
    }

    /// The class of a match of this field on `kind`'s list.
    pub fn class(self, kind: ListKind) -> (MainClass, Subclass) {
        match (kind, self) {
            (ListKind::Allow, ListField::Sender) => (MainClass::AllowList, Subclass::Sender),
            (ListKind::Allow, ListField::Recipient) => (MainClass::AllowList, Subclass::Recipient),
            (ListKind::Allow, ListField::Ip) => (MainClass::AllowList, Subclass::RuleSIp),
            (ListKind::Allow, ListField::Helo) => (MainClass::AllowList, Subclass::RuleHelo),
            (ListKind::Allow, ListField::Hostname) => (MainClass::AllowList, Subclass::RuleSHostname),
            (ListKind::Block, ListField::Sender) => (MainClass::BlockList, Subclass::Sender),
            (ListKind::Block, ListField::Recipient) => (MainClass::BlockList, Subclass::Recipient),
            (ListKind::Block, ListField::Ip) => (MainClass::BlockList, Subclass::Ip),
            (ListKind::Block, ListField::Helo) => (MainClass::BlockList, Subclass::Ehlo),
            (ListKind::Block, ListField::Hostname) => (MainClass::BlockList, Subclass::RuleSHostname),
        }
    }
}

/// Where an entry applies, written `global`, `domain:example.test` or
/// `mailbox:a@example.test` (names lower case).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ListScope {
    Global,
    Domain(String),
    Mailbox(String),
}

impl ListScope {
    /// Reads a scope; `None` when it is none of the three forms.
    pub fn parse(text: &str) -> Option<ListScope> {
        let text = text.trim();
        if text == "global" {
            return Some(ListScope::Global);
        }
        let (kind, name) = text.split_once(':')?;
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        match kind {
            "domain" if is_domain(&name) => Some(ListScope::Domain(name)),
            "mailbox" => {
                let (local, domain) = name.rsplit_once('@')?;
                (!local.is_empty() && is_domain(domain) && !local.contains(is_unsafe)).then_some(ListScope::Mailbox(name))
            }
            _ => None,
        }
    }
}

impl fmt::Display for ListScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListScope::Global => f.write_str("global"),
            ListScope::Domain(name) => write!(f, "domain:{name}"),
            ListScope::Mailbox(address) => write!(f, "mailbox:{address}"),
        }
    }
}

/// One entry of a list, its value in canonical form ([`canonical_value`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    pub id: i64,
    pub kind: ListKind,
    pub scope: ListScope,
    pub field: ListField,
    pub value: String,
    /// An allow `sender` entry that applies without SPF, DKIM or DMARC passing.
    pub unauthenticated: bool,
}

impl ListEntry {
    /// What the extra class shows of the entry.
    pub fn describe(&self) -> String {
        let value: String = self.value.chars().take(200).collect();
        let unauthenticated = if self.unauthenticated { ", unauthenticated" } else { "" };
        format!("{} entry {} ({}): {} {value}{unauthenticated}", self.kind.as_str(), self.id, self.scope, self.field.as_str())
    }
}

fn is_unsafe(c: char) -> bool {
    c.is_whitespace() || c.is_control() || c == '<' || c == '>'
}

fn is_domain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| !label.is_empty() && label.len() <= 63 && !label.contains(is_unsafe) && !label.contains(['@', '*', '/']))
}

/// The canonical form of `value` for `field` (lower case, no trailing dot, a CIDR
/// block as `network/length`), or why it is not a valid value.
pub fn canonical_value(field: ListField, value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("empty".to_owned());
    }
    match field {
        ListField::Sender | ListField::Recipient => {
            let value = value.trim_end_matches('.').to_ascii_lowercase();
            let domain_form = value.strip_prefix("*@").or_else(|| value.strip_prefix('@'));
            if let Some(domain) = domain_form {
                return name_pattern(domain).ok_or_else(|| format!("{value:?} is not a domain"));
            }
            match value.rsplit_once('@') {
                Some((local, domain)) if !local.is_empty() && is_domain(domain) && !local.contains(is_unsafe) => Ok(value.clone()),
                Some(_) => Err(format!("{value:?} is not an address")),
                None => name_pattern(&value).ok_or_else(|| format!("{value:?} is neither an address nor a domain")),
            }
        }
        ListField::Helo | ListField::Hostname => {
            let value = value.trim_end_matches('.').to_ascii_lowercase();
            if field == ListField::Helo && value.len() <= 255 && !value.contains(is_unsafe) && value.starts_with('[') {
                return Ok(value);
            }
            name_pattern(&value).ok_or_else(|| format!("{value:?} is not a host name"))
        }
        ListField::Ip => parse_block(value).map(|block| block.to_string()),
    }
}

/// A domain or `*.domain`, lower case.
fn name_pattern(value: &str) -> Option<String> {
    let domain = value.strip_prefix("*.").unwrap_or(value);
    is_domain(domain).then(|| value.to_owned())
}

/// An address block: IPv4 addresses are kept as IPv4 (an IPv4-mapped IPv6 entry
/// becomes its IPv4 block), so the two families never mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    v6: bool,
    network: u128,
    length: u8,
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.v6 {
            write!(f, "{}/{}", Ipv6Addr::from(self.network), self.length)
        } else {
            write!(f, "{}/{}", Ipv4Addr::from(self.network as u32), self.length)
        }
    }
}

fn mask(length: u8, bits: u8) -> u128 {
    if length == 0 { 0 } else { (u128::MAX >> (128 - bits as u32)) & !((1u128 << (bits - length) as u32).wrapping_sub(1)) }
}

/// An address (a /32 or /128) or `network/length`; a block with host bits set is
/// refused (it is most often a typo for a different block).
pub(crate) fn parse_block(text: &str) -> Result<Block, String> {
    let (address, length) = match text.split_once('/') {
        Some((address, length)) => (address, Some(length)),
        None => (text, None),
    };
    let address: IpAddr = address.parse().map_err(|_| format!("{address:?} is not an IP address"))?;
    let (v6, network, max) = match address {
        IpAddr::V4(v4) => (false, u32::from(v4) as u128, 32u8),
        IpAddr::V6(v6) => (true, u128::from(v6), 128u8),
    };
    let length = match length {
        None => max,
        Some(length) => match length.parse::<u8>() {
            Ok(length) if length <= max => length,
            _ => return Err(format!("prefix length {length:?} is not 0 to {max}")),
        },
    };
    if network & !mask(length, max) != 0 {
        let canonical = Block { v6, network: network & mask(length, max), length };
        return Err(format!("{text:?} has host bits set (the block is {canonical})"));
    }
    // ::ffff:a.b.c.d/(96 + n) is the IPv4 block a.b.c.d/n.
    if v6 && length >= 96 && network >> 32 == 0xffff {
        return Ok(Block { v6: false, network: network & 0xffff_ffff, length: length - 96 });
    }
    Ok(Block { v6, network, length })
}

impl Block {
    /// Whether `ip` is inside the block (an IPv4-mapped IPv6 address as IPv4).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let (v6, address) = client_key(ip);
        let max = if v6 { 128 } else { 32 };
        v6 == self.v6 && address & mask(self.length, max) == self.network
    }
}

/// A client address as the blocks see it (IPv4-mapped IPv6 as IPv4).
fn client_key(ip: IpAddr) -> (bool, u128) {
    match ip.to_canonical() {
        IpAddr::V4(v4) => (false, u32::from(v4) as u128),
        IpAddr::V6(v6) => (true, u128::from(v6)),
    }
}

/// Domains exactly and `*.domain` patterns; values are entry indices.
#[derive(Default)]
struct NameSet {
    exact: HashMap<String, usize>,
    subdomains_of: HashMap<String, usize>,
}

impl NameSet {
    fn insert(&mut self, pattern: &str, entry: usize) {
        match pattern.strip_prefix("*.") {
            Some(parent) => self.subdomains_of.entry(parent.to_owned()).or_insert(entry),
            None => self.exact.entry(pattern.to_owned()).or_insert(entry),
        };
    }

    fn find(&self, name: &str) -> Option<usize> {
        if let Some(&entry) = self.exact.get(name) {
            return Some(entry);
        }
        if self.subdomains_of.is_empty() {
            return None;
        }
        let mut rest = name;
        while let Some((_, parent)) = rest.split_once('.') {
            if let Some(&entry) = self.subdomains_of.get(parent) {
                return Some(entry);
            }
            rest = parent;
        }
        None
    }
}

/// Addresses exactly, and their domains as a [`NameSet`].
#[derive(Default)]
struct AddressSet {
    addresses: HashMap<String, usize>,
    domains: NameSet,
}

impl AddressSet {
    fn insert(&mut self, value: &str, entry: usize) {
        if value.contains('@') {
            self.addresses.entry(value.to_owned()).or_insert(entry);
        } else {
            self.domains.insert(value, entry);
        }
    }

    /// `address` lower case.
    fn find(&self, address: &str) -> Option<usize> {
        if let Some(&entry) = self.addresses.get(address) {
            return Some(entry);
        }
        let (_, domain) = address.rsplit_once('@')?;
        self.domains.find(domain)
    }
}

/// CIDR blocks: one hash map of networks per (family, prefix length), searched
/// from the longest prefix (the most specific block) down.
#[derive(Default)]
struct BlockSet {
    by_length: HashMap<(bool, u8), HashMap<u128, usize>>,
    lengths: BTreeSet<(bool, u8)>,
}

impl BlockSet {
    fn insert(&mut self, block: Block, entry: usize) {
        self.lengths.insert((block.v6, block.length));
        self.by_length.entry((block.v6, block.length)).or_default().entry(block.network).or_insert(entry);
    }

    fn find(&self, ip: IpAddr) -> Option<usize> {
        let (v6, address) = client_key(ip);
        let max = if v6 { 128 } else { 32 };
        self.lengths.range((v6, 0)..=(v6, max)).rev().find_map(|&(_, length)| {
            self.by_length.get(&(v6, length))?.get(&(address & mask(length, max))).copied()
        })
    }
}

/// A set of networks (`[limits] exempt` and the like), matched as the lists'
/// `ip` entries are: an IPv4-mapped IPv6 address is its IPv4 address.
#[derive(Default)]
pub struct Networks(BlockSet);

impl Networks {
    /// Parses `a.b.c.d[/n]` and `x:y::z[/n]` entries; the error names the entry.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Networks, String> {
        let mut set = BlockSet::default();
        for (index, entry) in entries.into_iter().enumerate() {
            set.insert(parse_block(entry.trim())?, index);
        }
        Ok(Networks(set))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.find(ip).is_some()
    }
}

/// One list's entries of one scope, by field.
#[derive(Default)]
struct FieldSets {
    sender: AddressSet,
    recipient: AddressSet,
    ip: BlockSet,
    helo: NameSet,
    hostname: NameSet,
}

#[derive(Default)]
struct ScopeLists {
    allow: FieldSets,
    block: FieldSets,
}

/// Every entry of both lists, compiled for matching. Build it once per change
/// ([`Lists::new`]); matching never allocates more than the findings.
#[derive(Default)]
pub struct Lists {
    entries: Vec<ListEntry>,
    /// Whether any entry is on `hostname` (the only field that needs a lookup).
    has_hostname: bool,
    global: ScopeLists,
    domains: HashMap<String, ScopeLists>,
    mailboxes: HashMap<String, ScopeLists>,
}

/// A sender address and whether SPF, DKIM or DMARC passed for it.
#[derive(Clone, Copy, Debug)]
pub struct Sender<'a> {
    pub address: &'a str,
    /// Where it came from, for the evidence: `envelope` or `From`.
    pub source: &'static str,
    /// SPF, DKIM or DMARC passed for this sender. "No result" is not passing.
    pub authenticated: bool,
}

/// What the lists are matched against, as far as the stage knows it.
#[derive(Clone, Debug, Default)]
pub struct ListFacts<'a> {
    pub client_ip: Option<IpAddr>,
    pub helo: Option<&'a str>,
    /// The client's reverse DNS name, only when forward-confirmed.
    pub hostname: Option<&'a str>,
    /// The envelope sender (not `<>`) and, at DATA, the header From.
    pub senders: Vec<Sender<'a>>,
}

impl Lists {
    /// Compiles `entries`; entries whose value does not parse are skipped (they
    /// are validated before they are stored, so none should be).
    pub fn new(entries: Vec<ListEntry>) -> Lists {
        let mut lists = Lists::default();
        for (index, entry) in entries.iter().enumerate() {
            let scope = match &entry.scope {
                ListScope::Global => &mut lists.global,
                ListScope::Domain(name) => lists.domains.entry(name.clone()).or_default(),
                ListScope::Mailbox(address) => lists.mailboxes.entry(address.clone()).or_default(),
            };
            let sets = match entry.kind {
                ListKind::Allow => &mut scope.allow,
                ListKind::Block => &mut scope.block,
            };
            match entry.field {
                ListField::Sender => sets.sender.insert(&entry.value, index),
                ListField::Recipient => sets.recipient.insert(&entry.value, index),
                ListField::Helo => sets.helo.insert(&entry.value, index),
                ListField::Hostname => sets.hostname.insert(&entry.value, index),
                ListField::Ip => match parse_block(&entry.value) {
                    Ok(block) => sets.ip.insert(block, index),
                    Err(_) => continue,
                },
            }
        }
        lists.has_hostname = entries.iter().any(|entry| entry.field == ListField::Hostname);
        lists.entries = entries;
        lists
    }

    /// Whether a `hostname` entry exists: the client's name is looked up only then.
    pub fn needs_hostname(&self) -> bool {
        self.has_hostname
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> &[ListEntry] {
        &self.entries
    }

    /// Whether a global allow entry covers `ip`: what exempts a client before
    /// any recipient is known (connection rate limits).
    pub fn allows_ip_everywhere(&self, ip: IpAddr) -> bool {
        self.global.allow.ip.find(ip).is_some()
    }
}

/// The list findings for `recipient`: those of the narrowest scope (mailbox,
/// domain, global) with any entry that matches and applies; none when no entry
/// does. The entry of an allow `sender` match applies only when that sender is
/// authenticated or the entry says `unauthenticated`.
pub fn check(lists: &Lists, facts: &ListFacts<'_>, recipient: &str) -> Vec<Finding> {
    if lists.is_empty() {
        return Vec::new();
    }
    let recipient = lower(recipient);
    let domain = recipient.rsplit_once('@').map_or("", |(_, domain)| domain);
    let scopes = [lists.mailboxes.get(recipient.as_ref()), lists.domains.get(domain), Some(&lists.global)];
    for scope in scopes.into_iter().flatten() {
        let findings = matches_in_scope(lists, scope, facts, &recipient);
        if !findings.is_empty() {
            return findings;
        }
    }
    Vec::new()
}

fn matches_in_scope(lists: &Lists, scope: &ScopeLists, facts: &ListFacts<'_>, recipient: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (kind, sets) in [(ListKind::Allow, &scope.allow), (ListKind::Block, &scope.block)] {
        // The evidence is written only for a match: most lookups find nothing.
        let mut found = |index: Option<usize>, what: &dyn Fn() -> String| {
            if let Some(index) = index {
                let entry = &lists.entries[index];
                let (main, sub) = entry.field.class(kind);
                let shown: String = what().chars().take(200).collect();
                findings.push(Finding::new(NAME, main, sub, format!("{} matched {shown}", entry.describe())));
            }
        };
        for sender in &facts.senders {
            let address = lower(sender.address);
            let index = sets.sender.find(&address).filter(|&index| {
                kind == ListKind::Block || sender.authenticated || lists.entries[index].unauthenticated
            });
            found(index, &|| format!("{} sender {address}", sender.source));
        }
        found(sets.recipient.find(recipient), &|| format!("recipient {recipient}"));
        if let Some(ip) = facts.client_ip {
            found(sets.ip.find(ip), &|| format!("client {ip}"));
        }
        if let Some(helo) = facts.helo {
            let helo = lower(helo.trim());
            found(sets.helo.find(&helo), &|| format!("HELO {helo}"));
        }
        if let Some(hostname) = facts.hostname {
            let hostname = lower(hostname);
            found(sets.hostname.find(&hostname), &|| format!("hostname {hostname}"));
        }
    }
    findings
}

/// `name` lower case without a trailing dot, copied only when it has to change.
fn lower(name: &str) -> std::borrow::Cow<'_, str> {
    let name = name.trim_end_matches('.');
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(name.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// The lists at DATA as a judge of the classification
/// (`classify::classify_parsed`), for the first recipient (every recipient of a
/// transaction shares its list outcome): the RCPT-stage facts plus the header
/// From, read from the classification's own parse, as a second sender. The
/// envelope sender is authenticated by an SPF pass of MAIL FROM, the header From
/// by a DMARC pass ("no result" is not passing).
pub struct ListsJudge<'l> {
    pub lists: &'l Lists,
    /// The client's forward-confirmed host name, when it was looked up.
    pub hostname: Option<&'l str>,
    /// SPF passed for the envelope sender.
    pub envelope_authenticated: bool,
    /// DMARC passed for the header From domain.
    pub from_authenticated: bool,
}

impl crate::classify::Judge for ListsJudge<'_> {
    fn judge(&self, facts: &crate::message::MessageFacts<'_>, findings: &mut Vec<Finding>) {
        let Some(recipient) = facts.envelope.recipients.first().filter(|_| !self.lists.is_empty()) else {
            return;
        };
        let header_from = facts.parsed.as_ref().and_then(from_address);
        let envelope = facts.envelope;
        let mut senders = Vec::new();
        if !envelope.sender.is_empty() {
            senders.push(Sender { address: &envelope.sender, source: "envelope", authenticated: self.envelope_authenticated });
        }
        if let Some(from) = &header_from {
            senders.push(Sender { address: from, source: "From", authenticated: self.from_authenticated });
        }
        let list_facts = ListFacts {
            client_ip: envelope.client_ip,
            helo: (!envelope.helo.is_empty()).then_some(envelope.helo.as_str()),
            hostname: self.hostname,
            senders,
        };
        findings.extend(check(self.lists, &list_facts, recipient));
    }
}

/// Whether two recipients' list findings would classify a message the same way
/// (the same classes, whichever entries matched): a transaction keeps one
/// verdict, so a recipient whose outcome differs is deferred.
pub fn same_outcome(first: &[Finding], other: &[Finding]) -> bool {
    let classes = |findings: &[Finding]| findings.iter().map(|finding| (finding.main, finding.sub)).collect::<BTreeSet<_>>();
    classes(first) == classes(other)
}

/// A recipient whose list outcome differs from the first accepted recipient's
/// -> `unknown` / `disparate-settings` (451): the sender retries it separately.
pub fn check_disparate(first: &[Finding], other: &[Finding]) -> Option<Finding> {
    (!same_outcome(first, other)).then(|| {
        Finding::new(NAME, MainClass::Unknown, Subclass::DisparateSettings, "allow or block list outcome differs from the first recipient's")
    })
}

/// The address of a message's header From, from its header block (the first
/// address of the first From field), lower case; `None` when there is none.
pub fn header_from(raw: &[u8]) -> Option<String> {
    // The parser is third-party code on hostile input: a panic means no From.
    let parsed = std::panic::catch_unwind(|| mail_parser::MessageParser::new().parse_headers(raw));
    from_address(&parsed.ok().flatten()?)
}

/// The first address of a parsed message's From, lower case.
fn from_address(message: &mail_parser::Message<'_>) -> Option<String> {
    let address = message.from()?.first()?.address()?.trim().to_ascii_lowercase();
    (!address.is_empty()).then_some(address)
}

#[cfg(test)]
mod tests;

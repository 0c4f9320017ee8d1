//! Data-driven cases for the list matcher: every subclass of both lists, the
//! narrower scope winning, the authentication-gated allow entry, CIDR edges and a
//! 10,000-entry list.

use std::net::IpAddr;

use sluice_model::{MainClass, Subclass};

use super::*;

/// Parses `list scope field value [unauthenticated]` lines into entries, ids from 1.
fn entries(text: &str) -> Vec<ListEntry> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .enumerate()
        .map(|(index, line)| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let field = ListField::parse(words[2]).unwrap();
            ListEntry {
                id: index as i64 + 1,
                kind: ListKind::parse(words[0]).unwrap(),
                scope: ListScope::parse(words[1]).unwrap(),
                field,
                value: canonical_value(field, words[3]).unwrap(),
                unauthenticated: words.get(4) == Some(&"unauthenticated"),
            }
        })
        .collect()
}

struct Case<'a> {
    ip: &'a str,
    helo: &'a str,
    hostname: Option<&'a str>,
    sender: &'a str,
    authenticated: bool,
    header_from: Option<&'a str>,
    recipient: &'a str,
}

const CASE: Case<'static> = Case {
    ip: "198.51.100.7",
    helo: "mail.sender.test",
    hostname: None,
    sender: "someone@sender.test",
    authenticated: false,
    header_from: None,
    recipient: "a@example.test",
};

/// The classes and entry ids of the findings for `case`, as `main/sub#id`.
fn check_case(lists: &Lists, case: &Case<'_>) -> Vec<String> {
    let mut senders = vec![Sender { address: case.sender, source: "envelope", authenticated: case.authenticated }];
    if let Some(from) = case.header_from {
        senders.push(Sender { address: from, source: "From", authenticated: case.authenticated });
    }
    let facts = ListFacts {
        client_ip: Some(case.ip.parse::<IpAddr>().unwrap()),
        helo: Some(case.helo),
        hostname: case.hostname,
        senders,
    };
    check(lists, &facts, case.recipient)
        .iter()
        .map(|finding| {
            let id = finding.extra.split_whitespace().nth(2).unwrap();
            format!("{}/{}#{id}", finding.main, finding.sub)
        })
        .collect()
}

fn expect(list: &str, case: Case<'_>, expected: &[&str]) {
    let lists = Lists::new(entries(list));
    assert_eq!(check_case(&lists, &case), expected, "list:\n{list}");
}

#[test]
fn every_subclass_of_both_lists() {
    let list = "
        block global sender spammer@sender.test
        block global recipient void@example.test
        block global ip 203.0.113.0/24
        block global helo bad.helo.test
        block global hostname *.dynamic.test
        allow global sender friend@partner.test unauthenticated
        allow global recipient abuse@example.test
        allow global ip 192.0.2.1
        allow global helo good.helo.test
        allow global hostname mx.partner.test
    ";
    expect(list, Case { sender: "spammer@sender.test", ..CASE }, &["block-list/sender#1"]);
    expect(list, Case { recipient: "void@example.test", ..CASE }, &["block-list/recipient#2"]);
    expect(list, Case { ip: "203.0.113.200", ..CASE }, &["block-list/ip#3"]);
    expect(list, Case { helo: "BAD.helo.test.", ..CASE }, &["block-list/ehlo#4"]);
    expect(list, Case { hostname: Some("host-1.dynamic.test"), ..CASE }, &["block-list/rule-s_hostname#5"]);
    expect(list, Case { sender: "friend@partner.test", ..CASE }, &["allow-list/sender#6"]);
    expect(list, Case { recipient: "abuse@example.test", ..CASE }, &["allow-list/recipient#7"]);
    expect(list, Case { ip: "192.0.2.1", ..CASE }, &["allow-list/rule-s_ip#8"]);
    expect(list, Case { helo: "good.helo.test", ..CASE }, &["allow-list/rule-helo#9"]);
    expect(list, Case { hostname: Some("mx.partner.test"), ..CASE }, &["allow-list/rule-s_hostname#10"]);
    expect(list, CASE, &[]);
}

#[test]
fn sender_forms_address_domain_and_subdomains() {
    let list = "
        block global sender exact@one.test
        block global sender two.test
        block global sender *.three.test
        block global sender @four.test
    ";
    expect(list, Case { sender: "Exact@ONE.test", ..CASE }, &["block-list/sender#1"]);
    expect(list, Case { sender: "other@one.test", ..CASE }, &[]);
    expect(list, Case { sender: "anyone@two.test", ..CASE }, &["block-list/sender#2"]);
    expect(list, Case { sender: "anyone@sub.two.test", ..CASE }, &[]);
    expect(list, Case { sender: "anyone@three.test", ..CASE }, &[]);
    expect(list, Case { sender: "anyone@a.b.three.test", ..CASE }, &["block-list/sender#3"]);
    expect(list, Case { sender: "x@four.test", ..CASE }, &["block-list/sender#4"]);
    expect(list, Case { sender: "x@notthree.test", ..CASE }, &[]);
}

#[test]
fn header_from_is_a_sender_too() {
    let list = "block global sender forged@bank.test";
    expect(list, Case { header_from: Some("forged@bank.test"), ..CASE }, &["block-list/sender#1"]);
}

#[test]
fn allow_sender_needs_authentication_unless_the_entry_opts_out() {
    let gated = "allow global sender friend@partner.test";
    expect(gated, Case { sender: "friend@partner.test", ..CASE }, &[]);
    expect(gated, Case { sender: "friend@partner.test", authenticated: true, ..CASE }, &["allow-list/sender#1"]);
    let open = "allow global sender partner.test unauthenticated";
    expect(open, Case { sender: "friend@partner.test", ..CASE }, &["allow-list/sender#1"]);
    let lists = Lists::new(entries(open));
    let facts = ListFacts { senders: vec![Sender { address: "x@partner.test", source: "envelope", authenticated: false }], ..ListFacts::default() };
    assert!(check(&lists, &facts, "a@example.test")[0].extra.contains("unauthenticated"));
    // A gated allow entry that does not apply does not hide a block entry either.
    let both = "
        allow global sender friend@partner.test
        block global ip 198.51.100.0/24
    ";
    expect(both, Case { sender: "friend@partner.test", ..CASE }, &["block-list/ip#2"]);
}

#[test]
fn narrower_scope_wins_for_its_recipients_only() {
    let list = "
        block global sender sender.test
        allow mailbox:a@example.test sender sender.test unauthenticated
        allow domain:other.test recipient other.test
        block mailbox:b@other.test ip 198.51.100.7
    ";
    expect(list, CASE, &["allow-list/sender#2"]);
    expect(list, Case { recipient: "c@example.test", ..CASE }, &["block-list/sender#1"]);
    expect(list, Case { recipient: "a@other.test", ..CASE }, &["allow-list/recipient#3"]);
    expect(list, Case { recipient: "b@other.test", ..CASE }, &["block-list/ip#4"]);
}

#[test]
fn within_a_scope_every_match_is_reported() {
    let list = "
        block domain:example.test ip 198.51.100.0/24
        allow domain:example.test recipient a@example.test
    ";
    expect(list, CASE, &["allow-list/recipient#2", "block-list/ip#1"]);
}

#[test]
fn cidr_edges() {
    let cases: &[(&str, &str, bool)] = &[
        ("0.0.0.0/0", "203.0.113.9", true),
        ("0.0.0.0/0", "2001:db8::1", false),
        ("::/0", "2001:db8::1", true),
        ("::/0", "203.0.113.9", false),
        ("203.0.113.9/32", "203.0.113.9", true),
        ("203.0.113.9/32", "203.0.113.10", false),
        ("203.0.113.9", "::ffff:203.0.113.9", true),
        ("::ffff:203.0.113.0/120", "203.0.113.77", true),
        ("2001:db8::1/128", "2001:db8::1", true),
        ("2001:db8::1/128", "2001:db8::2", false),
        ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("2001:db8::/32", "2001:db9::1", false),
        ("10.0.0.0/8", "10.255.255.255", true),
        ("10.0.0.0/8", "11.0.0.0", false),
    ];
    for &(block, client, matches) in cases {
        let lists = Lists::new(entries(&format!("block global ip {block}")));
        let found = !check_case(&lists, &Case { ip: client, ..CASE }).is_empty();
        assert_eq!(found, matches, "{block} against {client}");
    }
    // The longest prefix is found whatever else is listed.
    let list = "
        block global ip 10.0.0.0/8
        block global ip 10.1.0.0/16
    ";
    expect(list, Case { ip: "10.1.2.3", ..CASE }, &["block-list/ip#2"]);
}

#[test]
fn values_are_validated_and_canonical() {
    let ok: &[(ListField, &str, &str)] = &[
        (ListField::Ip, "10.0.0.0/8", "10.0.0.0/8"),
        (ListField::Ip, "192.0.2.1", "192.0.2.1/32"),
        (ListField::Ip, "2001:DB8::/32", "2001:db8::/32"),
        (ListField::Ip, "::ffff:192.0.2.0/120", "192.0.2.0/24"),
        (ListField::Sender, "A@Example.TEST", "a@example.test"),
        (ListField::Sender, "*@example.test", "example.test"),
        (ListField::Recipient, "*.example.test.", "*.example.test"),
        (ListField::Helo, "[192.0.2.1]", "[192.0.2.1]"),
        (ListField::Hostname, "Mail.Example.test", "mail.example.test"),
    ];
    for &(field, value, canonical) in ok {
        assert_eq!(canonical_value(field, value).as_deref(), Ok(canonical), "{value}");
    }
    let bad: &[(ListField, &str)] = &[
        (ListField::Ip, "10.0.0.1/8"),
        (ListField::Ip, "10.0.0.0/33"),
        (ListField::Ip, "2001:db8::/129"),
        (ListField::Ip, "300.1.1.1"),
        (ListField::Ip, "10.0.0.0/"),
        (ListField::Sender, "a b@example.test"),
        (ListField::Sender, "@"),
        (ListField::Sender, "a@"),
        (ListField::Hostname, "*"),
        (ListField::Helo, ""),
    ];
    for &(field, value) in bad {
        assert!(canonical_value(field, value).is_err(), "{value} should be refused");
    }
}

#[test]
fn scopes_parse() {
    assert_eq!(ListScope::parse("global"), Some(ListScope::Global));
    assert_eq!(ListScope::parse("domain:Example.TEST"), Some(ListScope::Domain("example.test".into())));
    assert_eq!(ListScope::parse("mailbox:A@example.test"), Some(ListScope::Mailbox("a@example.test".into())));
    for bad in ["", "world", "domain:", "mailbox:example.test", "mailbox:@example.test", "domain:a b"] {
        assert_eq!(ListScope::parse(bad), None, "{bad}");
    }
}

#[test]
fn ten_thousand_entries() {
    let mut entries = Vec::new();
    for n in 0..10_000i64 {
        let (field, value) = match n % 4 {
            0 => (ListField::Sender, format!("user{n}@spam{}.test", n % 97)),
            1 => (ListField::Sender, format!("*.spam-domain{n}.test")),
            2 => (ListField::Ip, format!("10.{}.{}.0/24", (n >> 8) & 255, n & 255)),
            _ => (ListField::Ip, format!("2001:db8:{n:x}::/48")),
        };
        entries.push(ListEntry { id: n, kind: ListKind::Block, scope: ListScope::Global, field, value, unauthenticated: false });
    }
    let lists = Lists::new(entries);
    assert_eq!(lists.len(), 10_000);
    assert_eq!(check_case(&lists, &Case { sender: "user4@spam4.test", ..CASE }), ["block-list/sender#4"]);
    assert_eq!(check_case(&lists, &Case { sender: "x@mx.spam-domain9.test", ..CASE }), ["block-list/sender#9"]);
    assert_eq!(check_case(&lists, &Case { ip: "10.0.6.1", ..CASE }), ["block-list/ip#6"]);
    assert_eq!(check_case(&lists, &Case { ip: "2001:db8:b:1::1", ..CASE }), ["block-list/ip#11"]);
    assert!(check_case(&lists, &Case { sender: "user5@spam5.test", ip: "192.0.2.1", ..CASE }).is_empty());
}

#[test]
fn same_outcome_compares_classes_not_entries() {
    let lists = Lists::new(entries(
        "
        allow mailbox:a@example.test recipient a@example.test
        allow mailbox:b@example.test recipient b@example.test
        block global sender sender.test
    ",
    ));
    let facts = ListFacts { senders: vec![Sender { address: "x@sender.test", source: "envelope", authenticated: false }], ..ListFacts::default() };
    let a = check(&lists, &facts, "a@example.test");
    let b = check(&lists, &facts, "b@example.test");
    let c = check(&lists, &facts, "c@example.test");
    assert!(same_outcome(&a, &b));
    assert!(!same_outcome(&a, &c));
    assert_eq!(c[0].main, MainClass::BlockList);
    assert_eq!(c[0].sub, Subclass::Sender);
}

#[test]
fn header_from_address() {
    assert_eq!(header_from(b"From: \"Bob\" <Bob@Example.test>\r\nSubject: x\r\n\r\nbody").as_deref(), Some("bob@example.test"));
    assert_eq!(header_from(b"Subject: x\r\n\r\nbody"), None);
    assert_eq!(header_from(b""), None);
}

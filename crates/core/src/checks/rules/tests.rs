//! Data-driven cases for the rule evaluator: every field and operator, allow and
//! block, regex and CIDR edges, validation, and the narrower scope winning.

use std::net::IpAddr;

use sluice_model::{MainClass, Subclass};

use super::*;
use crate::envelope::Envelope;

/// Parses `action scope field[:header] operator value…` lines into rules, ids
/// from 1, named `r<id>`; the value is the rest of the line.
fn rules(text: &str) -> Vec<Rule> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .enumerate()
        .map(|(index, line)| {
            let mut words = line.splitn(5, ' ');
            let action = RuleAction::parse(words.next().unwrap()).unwrap();
            let scope = ListScope::parse(words.next().unwrap()).unwrap();
            let field_word = words.next().unwrap();
            let (field, header) = match field_word.split_once(':') {
                Some((field, header)) => (field, Some(header.to_owned())),
                None => (field_word, None),
            };
            let operator = RuleOperator::parse(words.next().unwrap()).unwrap();
            let rule = Rule {
                id: index as i64 + 1,
                name: format!("r{}", index + 1),
                scope,
                field: RuleField::parse(field).unwrap(),
                header,
                operator,
                value: words.next().unwrap().to_owned(),
                action,
                enabled: true,
            };
            validate(&rule).unwrap_or_else(|error| panic!("{line}: {error}"));
            rule
        })
        .collect()
}

const MESSAGE: &str = "From: Alice <alice@sender.test>\r\n\
To: a@example.test\r\n\
Subject: =?utf-8?q?Cheap_caf=C3=A9?=\r\n\
X-Campaign: spring-2026\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Hello <b>World</b>, see <a href=\"https://Tracker.Example.NET/x?y=1\">here</a></p>\r\n\
--b\r\n\
Content-Type: application/octet-stream; name=\"invoice.pdf.exe\"\r\n\
Content-Disposition: attachment; filename=\"invoice.pdf.exe\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
TVqQAAMAAABzZWNyZXQgcGF5bG9hZA==\r\n\
--b--\r\n";

fn content() -> RuleContent<'static> {
    let envelope = Box::leak(Box::new(Envelope::default()));
    let facts = Box::leak(Box::new(MessageFacts::new(MESSAGE.as_bytes(), envelope, 0)));
    RuleContent::from_message(facts)
}

/// `main/sub/name` of every finding, for the recipient `a@example.test` unless
/// the case names another.
fn run(rule_text: &str, content: Option<&RuleContent<'_>>, recipient: &str) -> Vec<(MainClass, Subclass, String)> {
    let compiled = Rules::new(rules(rule_text));
    let facts = RuleFacts {
        client_ip: Some("198.51.100.7".parse::<IpAddr>().unwrap()),
        helo: Some("mail.sender.test"),
        hostname: Some("out.sender.test"),
        sender: Some("someone@sender.test"),
        sender_spf_pass: false,
        content,
    };
    check(&compiled, &facts, recipient).into_iter().map(|finding| (finding.main, finding.sub, finding.extra)).collect()
}

#[test]
fn every_field_and_operator() {
    use MainClass::{AllowList as A, BlockList as B};
    let content = content();
    // (rule, expected class or None for no match)
    let cases: &[(&str, Option<(MainClass, Subclass)>)] = &[
        ("block global helo equals MAIL.sender.test", Some((B, Subclass::RuleHelo))),
        ("allow global helo ends_with .sender.test", Some((A, Subclass::RuleHelo))),
        ("block global helo equals sender.test", None),
        ("block global rcpt_to starts_with a@", Some((B, Subclass::RuleRcptTo))),
        ("block global rcpt_to glob *@example.te?t", Some((B, Subclass::RuleRcptTo))),
        ("block global rcpt_to glob *@example.t", None),
        ("block global s_addr regex ^some(one|body)@", Some((B, Subclass::RuleSAddr))),
        ("allow global s_addr contains @SENDER.", Some((A, Subclass::RuleSAddr))),
        // SPF never passes yet: s_addr_spf rules never match.
        ("allow global s_addr_spf contains sender.test", None),
        ("block global s_ip cidr 198.51.100.0/24", Some((B, Subclass::RuleSIp))),
        ("block global s_ip cidr 198.51.100.7", Some((B, Subclass::RuleSIp))),
        ("block global s_ip cidr ::ffff:198.51.100.0/120", Some((B, Subclass::RuleSIp))),
        ("block global s_ip cidr 198.51.101.0/24", None),
        ("block global s_ip cidr 2001:db8::/32", None),
        ("allow global s_ip cidr 0.0.0.0/0", Some((A, Subclass::RuleSIp))),
        ("block global s_hostname ends_with sender.test", Some((B, Subclass::RuleSHostname))),
        ("block global header:Subject contains café", Some((B, Subclass::RuleHeader))),
        ("block global header:subject equals cheap CAFÉ", Some((B, Subclass::RuleHeader))),
        ("block global header:X-Campaign glob spring-*", Some((B, Subclass::RuleHeader))),
        ("block global header:From contains alice@sender.test", Some((B, Subclass::RuleHeader))),
        ("block global header:X-Missing contains a", None),
        ("block global body contains hello world", Some((B, Subclass::RuleBody))),
        // Word boundaries run outside the shared set: same answers.
        ("block global body regex \\bworld\\b", Some((B, Subclass::RuleBody))),
        ("block global body regex \\borld\\b", None),
        // HTML is text for body rules: no tags.
        ("block global body contains <b>", None),
        ("block global decoded contains secret payload", Some((B, Subclass::RuleDecoded))),
        ("block global decoded contains <b>World</b>", Some((B, Subclass::RuleDecoded))),
        ("block global body contains secret payload", None),
        ("block global attachment_name ends_with .exe", Some((B, Subclass::RuleAttachmentName))),
        ("block global attachment_name glob *.pdf", None),
        ("block global attachment_type equals application/octet-stream", Some((B, Subclass::RuleAttachmentType))),
        // Sniffed from the content (MZ).
        ("block global attachment_type equals application/x-msdownload", Some((B, Subclass::RuleAttachmentType))),
        ("block global url equals tracker.example.net", Some((B, Subclass::RuleUrl))),
        ("block global url ends_with .example.net", Some((B, Subclass::RuleUrl))),
        ("block global url starts_with https://tracker.example.net/x", Some((B, Subclass::RuleUrl))),
        ("block global url regex ^https?://[^/]*example\\.net/", Some((B, Subclass::RuleUrl))),
        ("block global url contains example.org", None),
    ];
    for (rule, expected) in cases {
        // Every case also with the other action: the same subclass on the other list.
        let (action, rest) = rule.split_once(' ').unwrap();
        let flipped = format!("{} {rest}", if action == "block" { "allow" } else { "block" });
        let flip = |main: MainClass| if main == A { B } else { A };
        for (rule, expected) in [(rule.to_string(), *expected), (flipped, expected.map(|(main, sub)| (flip(main), sub)))] {
            let found: Vec<(MainClass, Subclass)> = run(&rule, Some(&content), "a@example.test").into_iter().map(|(main, sub, _)| (main, sub)).collect();
            let expected: Vec<(MainClass, Subclass)> = expected.into_iter().collect();
            assert_eq!(found, expected, "{rule}");
        }
    }
}

#[test]
fn content_rules_wait_for_data_and_the_extra_class_is_the_name() {
    let found = run("block global body contains hello\nblock global helo contains sender", None, "a@example.test");
    assert_eq!(found, vec![(MainClass::BlockList, Subclass::RuleHelo, "r2".to_owned())]);
}

#[test]
fn many_rules_on_one_field_share_a_matcher_and_all_matches_are_reported() {
    let mut text = String::new();
    for n in 0..300 {
        text.push_str(&format!("block global body contains word{n}x\n"));
        text.push_str(&format!("block global body regex ^nothing{n}$\n"));
    }
    text.push_str("block global body contains HELLO\nallow global body glob *world*\n");
    let content = content();
    let found = run(&text, Some(&content), "a@example.test");
    assert_eq!(
        found,
        vec![
            (MainClass::BlockList, Subclass::RuleBody, "r601".to_owned()),
            (MainClass::AllowList, Subclass::RuleBody, "r602".to_owned()),
        ]
    );
}

#[test]
fn the_narrowest_scope_with_a_match_decides() {
    let text = "block global helo contains sender\n\
                allow domain:example.test helo contains sender\n\
                block mailbox:b@example.test helo contains sender\n\
                block domain:other.test helo contains nomatch";
    let classes = |recipient| run(text, None, recipient).into_iter().map(|(main, _, name)| (main, name)).collect::<Vec<_>>();
    assert_eq!(classes("a@example.test"), vec![(MainClass::AllowList, "r2".to_owned())]);
    assert_eq!(classes("B@Example.test"), vec![(MainClass::BlockList, "r3".to_owned())]);
    // A narrower scope without a match leaves the decision to the wider one.
    assert_eq!(classes("c@other.test"), vec![(MainClass::BlockList, "r1".to_owned())]);
}

#[test]
fn disabled_rules_do_not_match() {
    let mut list = rules("block global helo contains sender");
    list[0].enabled = false;
    let compiled = Rules::new(list);
    let facts = RuleFacts { helo: Some("mail.sender.test"), ..RuleFacts::default() };
    assert!(check(&compiled, &facts, "a@example.test").is_empty());
}

#[test]
fn glob_and_literal_values_are_not_regexes() {
    let content = RuleContent { body: vec!["price: $5 (a+b)".into()], ..RuleContent::default() };
    for rule in ["block global body contains $5 (a+b)", "block global body glob price: $5 (a+b)", "block global body ends_with (a+b)"] {
        assert_eq!(run(rule, Some(&content), "a@example.test").len(), 1, "{rule}");
    }
    assert!(run("block global body glob price.*", Some(&content), "a@example.test").is_empty());
    // Glob's * crosses lines.
    let content = RuleContent { body: vec!["one\ntwo".into()], ..RuleContent::default() };
    assert_eq!(run("block global body glob one*two", Some(&content), "a@example.test").len(), 1);
}

fn rule(field: RuleField, header: Option<&str>, operator: RuleOperator, value: &str) -> Rule {
    Rule {
        id: 0,
        name: "n".to_owned(),
        scope: ListScope::Global,
        field,
        header: header.map(str::to_owned),
        operator,
        value: value.to_owned(),
        action: RuleAction::Block,
        enabled: true,
    }
}

#[test]
fn validation_names_the_field_at_fault() {
    use RuleField as F;
    use RuleOperator as O;
    let cases = [
        (rule(F::Body, None, O::Regex, "a(b"), "value"),
        (rule(F::Body, None, O::Regex, "a{100000}"), "value"),
        (rule(F::Body, None, O::Regex, "\\w{1000}\\w{1000}"), "value"),
        (rule(F::Body, None, O::Regex, "(?<=a)b"), "value"),
        (rule(F::SIp, None, O::Cidr, "10.0.0.1/8"), "value"),
        (rule(F::SIp, None, O::Cidr, "10.0.0.0/33"), "value"),
        (rule(F::SIp, None, O::Cidr, "not-an-ip"), "value"),
        (rule(F::SIp, None, O::Equals, "10.0.0.1"), "operator"),
        (rule(F::Helo, None, O::Cidr, "10.0.0.0/8"), "operator"),
        (rule(F::Header, None, O::Contains, "x"), "header"),
        (rule(F::Header, Some("Bad Name:"), O::Contains, "x"), "header"),
        (rule(F::Body, Some("Subject"), O::Contains, "x"), "header"),
        (rule(F::Body, None, O::Contains, ""), "value"),
        (Rule { name: " ".to_owned(), ..rule(F::Body, None, O::Contains, "x") }, "name"),
    ];
    for (rule, field) in cases {
        assert_eq!(validate(&rule).map_err(|error| error.field), Err(field), "{rule:?}");
    }
    for rule in [
        rule(F::Body, None, O::Regex, "(?i)^viagra\\b"),
        rule(F::SIp, None, O::Cidr, "2001:db8::/32"),
        rule(F::Header, Some("X-Spam-Flag"), O::Equals, "YES"),
        rule(F::Url, None, O::Glob, "*.example.?om"),
    ] {
        assert_eq!(validate(&rule), Ok(()), "{rule:?}");
    }
}

#[test]
fn names_round_trip() {
    for field in RuleField::ALL {
        assert_eq!(RuleField::parse(field.as_str()), Some(*field));
    }
    for operator in RuleOperator::ALL {
        assert_eq!(RuleOperator::parse(operator.as_str()), Some(*operator));
    }
    assert_eq!(RuleField::parse("Body"), None);
}

/// The `url` field of a message whose only part is `body`.
fn url_field(body: &str) -> Vec<String> {
    let raw = format!("From: a@example.org\r\nContent-Type: text/html\r\n\r\n{body}\r\n");
    let envelope = Envelope::default();
    let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
    RuleContent::from_message(&facts).urls.iter().map(ToString::to_string).collect()
}

#[test]
fn urls_are_found_in_text_and_hrefs() {
    assert_eq!(
        url_field("see www.Example.com/a, and <a href='http://user@h.test:8080/p'>x</a> or https://x.test."),
        ["www.Example.com/a", "www.example.com", "http://user@h.test:8080/p", "h.test", "https://x.test", "x.test"]
    );
    assert_eq!(url_field("https:// http://é"), ["http://é", "é"]);
}

#[test]
fn hostile_text_never_panics_and_urls_are_bounded() {
    for text in ["www.", "WWW.é", "éhttp://", "http://é/\u{0}", "https://.", "www.www.www.", "\u{feff}https://a", "h", ""] {
        let _ = url_field(text);
    }
    let many = "http://a.test/ ".repeat(5_000);
    assert_eq!(url_field(&many).len(), URLS_MAX);
    let envelope = Envelope::default();
    for raw in [&b""[..], b"\r\n\r\n", b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\n\xff\xfe\r\n--x", b"Subject: =?utf-8?b?////?=\r\n\r\n<a href=http://x"] {
        let facts = MessageFacts::new(raw, &envelope, 0);
        let content = RuleContent::from_message(&facts);
        assert_eq!(run("block global decoded contains nothing-here", Some(&content), "a@example.test"), vec![]);
    }
}

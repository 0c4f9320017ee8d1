//! Tests of the heuristic rule sets: the format's errors, meta expressions, and
//! every weighted rule of the shipped set against its fixtures
//! (`tests/data/heuristics/RULE.hit.eml` must fire it, `RULE.miss.eml` must not).

use std::path::PathBuf;

use super::*;
use crate::envelope::Envelope;

fn compile(text: &str) -> Result<HeuristicSet, HeuristicError> {
    HeuristicSet::compile(SetId::Set2, "local.toml", text)
}

fn error_of(text: &str) -> String {
    match compile(text) {
        Ok(_) => panic!("compiled: {text}"),
        Err(error) => error.to_string(),
    }
}

fn fired_on(set: &HeuristicSet, raw: &[u8]) -> Vec<String> {
    let envelope = Envelope::default();
    let facts = MessageFacts::new(raw, &envelope, 0);
    let content = HeuristicContent::gather(&facts);
    let fired = set.fired(&content);
    set.rule_names().iter().zip(fired).filter(|(_, fired)| *fired).map(|(name, _)| name.clone()).collect()
}

#[test]
fn the_shipped_set_compiles() {
    let set = HeuristicSet::set1();
    assert!(set.rule_names().len() > 20);
    assert_eq!(set.id(), SetId::Set1);
}

#[test]
fn errors_name_the_file_the_rule_and_what_is_wrong() {
    let cases = [
        ("limit = 5.0\n[[rule]]\nname = \"A\"\nbody = '('\nweight = 1.0\n", "local.toml: rule A: regex does not compile"),
        ("limit = 5.0\n[[rule]]\nname = \"A\"\nbody = 'x'\nuri = 'y'\n", "local.toml: rule A: needs exactly one of"),
        ("limit = 5.0\n[[rule]]\nname = \"A\"\nmeta = \"B && C\"\n", "local.toml: rule A: meta: unknown rule B"),
        ("limit = 5.0\n[[rule]]\nname = \"A\"\nmeta = \"B\"\n[[rule]]\nname = \"B\"\nmeta = \"A\"\n", "local.toml: rule A: meta rules read each other in a cycle"),
        ("limit = 5.0\n[[rule]]\nname = \"A\"\nbody = 'x'\n[[rule]]\nname = \"A\"\nbody = 'y'\n", "local.toml: rule A: defined twice"),
        ("limit = 5.0\n[[rule]]\nname = \"A B\"\nbody = 'x'\n", "local.toml: rule A B: a name is"),
        ("limit = 5.0\n[[rule]]\nname = \"A\"\nheader = \"Subject\"\n", "local.toml: rule A: regex goes with header"),
        ("limit = 5.0\n[[rule]]\nname = \"A\"\nbody = 'x'\nweight = \"high\"\n", "local.toml: "),
        ("limit = 5.0\n[[rule]]\nname = \"A\"\nbody = 'x'\ncolour = 1\n", "unknown field `colour`"),
        ("limit = -1.0\n", "local.toml: limit must be a number above 0"),
        ("limit = 5.0\nham_limit = 2.0\n", "local.toml: ham_limit must be a number below 0"),
        ("[[rule]]\nname = \"A\"\nbody = 'x'\n", "missing field `limit`"),
        ("limit = 5.0\n[[rule]]\nname = \"A\"\nmeta = \"(B\"\n[[rule]]\nname = \"B\"\nbody = 'x'\n", "local.toml: rule A: meta: missing )"),
    ];
    for (text, expected) in cases {
        let error = error_of(text);
        assert!(error.contains(expected), "{error:?} should contain {expected:?}");
    }
}

#[test]
fn meta_rules_combine_others_and_read_metas_in_any_order() {
    let set = compile(
        "limit = 3.0\n\
         [[rule]]\nname = \"BOTH\"\nmeta = \"__A && !(__B || NEITHER)\"\nweight = 2.0\n\
         [[rule]]\nname = \"NEITHER\"\nmeta = \"!__A && !__B\"\n\
         [[rule]]\nname = \"__A\"\nbody = 'apple'\n\
         [[rule]]\nname = \"__B\"\nheader = \"Subject\"\nregex = 'banana'\n",
    )
    .unwrap();
    let message = |subject: &str, body: &str| format!("Subject: {subject}\r\n\r\n{body}\r\n").into_bytes();
    assert_eq!(fired_on(&set, &message("hi", "an apple")), ["BOTH", "__A"]);
    assert_eq!(fired_on(&set, &message("banana", "an apple")), ["__A", "__B"]);
    assert_eq!(fired_on(&set, &message("hi", "pear")), ["NEITHER"]);
}

#[test]
fn a_set_decides_alone_at_its_limits_and_is_evidence_below() {
    let set = compile(
        "limit = 3.0\nham_limit = -2.0\n\
         [[rule]]\nname = \"SPAMMY\"\nbody = 'spammy'\nweight = 2.0\n\
         [[rule]]\nname = \"VERY\"\nbody = 'very'\nweight = 1.5\n\
         [[rule]]\nname = \"OURS\"\nheader = \"X-Internal\"\nregex = 'yes'\nweight = -2.5\n",
    )
    .unwrap();
    let finding = |raw: &str| {
        let envelope = Envelope::default();
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        set.finding(&HeuristicContent::gather(&facts))
    };
    let decided = finding("Subject: x\r\n\r\nvery spammy\r\n").unwrap();
    assert_eq!((decided.main, decided.sub, decided.evidence), (MainClass::Spam, Subclass::HeuristicSet2, None));
    assert_eq!(decided.extra, "sum 3.5 (limits 3.0 / -2.0): SPAMMY +2.0, VERY +1.5");
    let evidence = finding("Subject: x\r\n\r\nspammy\r\n").unwrap();
    assert_eq!((evidence.main, evidence.evidence), (MainClass::Spam, Some(2.0)));
    let ham = finding("Subject: x\r\nX-Internal: yes\r\n\r\nhello\r\n").unwrap();
    assert_eq!((ham.main, ham.sub, ham.evidence), (MainClass::NotSpam, Subclass::HeuristicSet2, None));
    assert_eq!(finding("Subject: x\r\n\r\nhello\r\n"), None, "nothing fired, no finding");
}

#[test]
fn an_evidence_finding_never_decides() {
    let evidence = Finding::new(NAME, MainClass::Spam, Subclass::HeuristicSet1, "sum 2.0").as_evidence(2.0);
    let verdict = crate::verdict::decide(&[evidence], &crate::settings::DomainSettings::default());
    assert_eq!((verdict.main, verdict.sub), (MainClass::NotSpam, Subclass::Combined));
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/heuristics")
}

#[test]
fn every_weighted_shipped_rule_fires_on_its_fixture_and_not_on_its_counterpart() {
    let set = HeuristicSet::set1();
    let mut checked = 0;
    for (index, name) in set.rule_names().iter().enumerate() {
        if set.weights[index] == 0.0 {
            continue;
        }
        for (suffix, expected) in [("hit", true), ("miss", false)] {
            let path = fixtures().join(format!("{name}.{suffix}.eml"));
            let raw = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let fired = fired_on(&set, &raw);
            assert_eq!(fired.contains(name), expected, "{}: fired {fired:?}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 20, "{checked} rules checked");
}


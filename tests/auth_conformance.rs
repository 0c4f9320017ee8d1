//! The peers' sender-authentication suites, run as data through Sluice's own
//! gathering code (`sluice_lookup::auth`) against a real DNS server
//! (`sluice-testdns`) serving each scenario's records: the OpenSPF RFC 7208
//! suite and mail-auth's SPF cases, the DKIM vectors of mail-auth and dkimpy, the ValiMail ARC validation
//! suite, rspamd's DMARC cases. Every case we answer differently is listed, with the reason, in
//! the suite's `DIFFERENCES.tsv` (`tests/data/conformance/`); a new difference (or one that
//! went away) fails the test, and the pass count is printed for the README.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use serde_json::Value;
use sluice_core::checks::spf::SpfResult;
use sluice_lookup::Gathering;
use sluice_lookup::auth::Authenticator;
use sluice_testdns::{Behaviour, TestDns};

fn data(path: &str) -> String {
    format!("{}/tests/data/conformance/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// The cases listed as answered differently: `suite/scenario/test`.
fn known_differences(path: &str) -> BTreeSet<String> {
    std::fs::read_to_string(data(path))
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split('\t').next().map(str::to_owned))
        .collect()
}

/// Whether the test DNS server can publish `name` (and a name inside `value`
/// for PTR, CNAME and MX): labels of letters, digits, `-` and `_`, 1 to 63
/// octets, 253 in all. Names it cannot publish do not exist in these runs.
fn publishable(name: &str, kind: &str, value: &str) -> bool {
    let valid = |name: &str| {
        let name = name.trim_end_matches('.');
        !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|label| !label.is_empty() && label.len() <= 63 && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    };
    let target = match kind {
        "PTR" | "CNAME" => valid(value),
        "MX" => value.split_once(' ').is_some_and(|(_, host)| valid(host)),
        _ => true,
    };
    valid(name) && target
}

/// Publishes a scenario's records: type SPF is served as TXT when the name
/// has no TXT of its own (RFC 7208 reads only TXT; the suite's drivers copy
/// SPF to TXT), `TIMEOUT` makes the name silent. Names the server cannot
/// publish (a label over 63 octets) are left out: they do not exist.
fn publish(dns: &TestDns, zone: &[Value]) {
    let records: Vec<(&str, &str, &str)> = zone
        .iter()
        .map(|record| (record[0].as_str().unwrap_or_default(), record[1].as_str().unwrap_or_default(), record[2].as_str().unwrap_or_default()))
        .collect();
    for &(name, kind, value) in &records {
        let has_txt = records.iter().any(|(other, kind, _)| other.eq_ignore_ascii_case(name) && *kind == "TXT");
        if !publishable(name, kind, value) {
            continue;
        }
        let _ = catch_unwind(AssertUnwindSafe(|| match kind {
            "TIMEOUT" => {
                dns.behave(name, Behaviour::Silent);
            }
            "SPF" if has_txt => {}
            "SPF" => {
                dns.add(name, "TXT", value);
            }
            other => {
                dns.add(name, other, value);
            }
        }));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openspf_rfc7208_suite() {
    let suite: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(data("spf/openspf/rfc7208-tests.json")).expect("suite")).expect("JSON");
    let known = known_differences("spf/DIFFERENCES.tsv");
    let mut differences = BTreeSet::new();
    let (mut total, mut passed) = (0, 0);
    for scenario in &suite {
        let dns = TestDns::start();
        publish(&dns, scenario["zone"].as_array().expect("zone"));
        let authenticator = Authenticator::new(Some(dns.address()), Duration::from_millis(300)).expect("resolver");
        for test in scenario["tests"].as_array().expect("tests") {
            let name = format!("openspf/{}/{}", scenario["description"].as_str().unwrap_or_default(), test["name"].as_str().unwrap_or_default());
            let ip = test["host"].as_str().unwrap_or_default().parse().expect("an address");
            let gathering = Gathering::new(Duration::from_secs(10), Duration::from_secs(10));
            let facts = authenticator
                .spf(&gathering, ip, test["helo"].as_str().unwrap_or_default(), test["mailfrom"].as_str().unwrap_or_default(), "receiver.example")
                .await;
            let expected: Vec<SpfResult> =
                test["result"].as_array().expect("results").iter().filter_map(|result| SpfResult::parse(result.as_str().unwrap_or_default())).collect();
            total += 1;
            if expected.contains(&facts.result) {
                passed += 1;
            } else {
                eprintln!("{name}: expected {expected:?}, got {:?}", facts.result);
                differences.insert(name);
            }
        }
    }
    eprintln!("OpenSPF RFC 7208 suite: {passed} of {total} pass");
    let new: Vec<&String> = differences.difference(&known).collect();
    let gone: Vec<&String> = known.iter().filter(|name| name.starts_with("openspf/")).filter(|name| !differences.contains(*name)).collect();
    assert!(new.is_empty() && gone.is_empty(), "new differences: {new:?}; listed but now passing: {gone:?}");
}

/// mail-auth's own SPF cases (`resources/spf/*.yml`, converted to JSON in
/// chunks of record lines and the cases after them), as its test reads them: a
/// record line replaces what earlier lines of the file published for that name
/// and type; a name starting `_dns_error` answers
/// SERVFAIL (its mock resolver's error). Each section gets a fresh server with
/// the records in force.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_auth_spf_cases() {
    let files: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(data("spf/mail-auth/mail-auth-spf.json")).expect("cases")).expect("JSON");
    let known = known_differences("spf/DIFFERENCES.tsv");
    let mut differences = BTreeSet::new();
    let (mut total, mut passed) = (0, 0);
    for file in &files {
        let mut in_force: std::collections::BTreeMap<(String, String), Vec<String>> = std::collections::BTreeMap::new();
        for (section_index, section) in file["sections"].as_array().expect("sections").iter().enumerate() {
            for record in section["records"].as_array().expect("records") {
                let values = record[2].as_array().expect("values").iter().map(|value| value.as_str().unwrap_or_default().to_owned()).collect();
                in_force.insert((record[0].as_str().unwrap_or_default().to_owned(), record[1].as_str().unwrap_or_default().to_owned()), values);
            }
            let dns = TestDns::start();
            let mut error_names = BTreeSet::new();
            for ((name, kind), values) in &in_force {
                for value in values {
                    if publishable(name, kind, value) {
                        dns.add(name, kind, value);
                    }
                    error_names.extend(value.split([' ', ':', '=']).filter(|word| word.starts_with("_dns_error")).map(str::to_owned));
                }
            }
            for test in section["tests"].as_array().expect("tests") {
                error_names.insert(test["domain"].as_str().unwrap_or_default().to_owned());
                error_names.insert(sluice_core::envelope::domain_of(test["sender"].as_str().unwrap_or_default()));
            }
            for name in error_names.iter().filter(|name| name.starts_with("_dns_error") && publishable(name, "TXT", "")) {
                dns.fail(name);
            }
            let authenticator = Authenticator::new(Some(dns.address()), Duration::from_millis(300)).expect("resolver");
            for (index, test) in section["tests"].as_array().expect("tests").iter().enumerate() {
                let name = format!(
                    "mail-auth/{}/{} ({}.{})",
                    file["file"].as_str().unwrap_or_default(),
                    test["name"].as_str().unwrap_or_default(),
                    section_index + 1,
                    index + 1
                );
                let ip = test["ip"].as_str().unwrap_or_default().parse().expect("an address");
                let gathering = Gathering::new(Duration::from_secs(10), Duration::from_secs(10));
                let facts = authenticator
                    .spf(&gathering, ip, test["domain"].as_str().unwrap_or_default(), test["sender"].as_str().unwrap_or_default(), "localdomain.org")
                    .await;
                let expected = SpfResult::parse(test["expect"].as_str().unwrap_or_default()).expect("a result");
                total += 1;
                if facts.result == expected {
                    passed += 1;
                } else {
                    eprintln!("{name}: expected {expected:?}, got {:?}", facts.result);
                    differences.insert(name);
                }
            }
        }
    }
    eprintln!("mail-auth SPF cases: {passed} of {total} pass");
    let new: Vec<&String> = differences.difference(&known).collect();
    let gone: Vec<&String> = known.iter().filter(|name| name.starts_with("mail-auth/")).filter(|name| !differences.contains(*name)).collect();
    assert!(new.is_empty() && gone.is_empty(), "new differences: {new:?}; listed but now passing: {gone:?}");
}

/// `message` with every line ending in CRLF (the vectors are stored with LF).
fn crlf(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 40);
    for (index, &byte) in message.iter().enumerate() {
        if byte == b'\n' && (index == 0 || message[index - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(byte);
    }
    out
}

/// A mail-auth vector: `NAME VALUE` TXT records up to the first empty line,
/// then the message.
fn mail_auth_vector(path: &str) -> (Vec<(String, String)>, Vec<u8>) {
    let text = std::fs::read(data(path)).expect("vector");
    let split = text.windows(2).position(|window| window == b"\n\n").expect("records, then the message");
    let records = String::from_utf8_lossy(&text[..split])
        .lines()
        .filter_map(|line| line.split_once(' ').map(|(name, value)| (name.to_owned(), value.to_owned())))
        .collect();
    (records, crlf(&text[split + 2..]))
}

/// The DKIM results of `message` with `records` published.
async fn dkim_results(records: &[(String, String)], message: &[u8]) -> Vec<String> {
    let dns = TestDns::start();
    for (name, value) in records {
        dns.add(name, "TXT", value);
    }
    let authenticator = Authenticator::new(Some(dns.address()), Duration::from_secs(1)).expect("resolver");
    let resolver = sluice_lookup::dns::DnsResolver::new(Some(dns.address()), Duration::from_secs(1)).expect("resolver");
    let gathering = Gathering::new(Duration::from_secs(10), Duration::from_secs(10));
    let facts = authenticator.message(&gathering, &resolver, message, None).await;
    facts.dkim.signatures.iter().map(|signature| format!("{} {}", signature.domain, signature.result.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dkim_vectors_of_mail_auth_and_dkimpy() {
    let known = known_differences("dkim/DIFFERENCES.tsv");
    let mut differences = BTreeSet::new();
    let (mut total, mut passed) = (0, 0);
    let mut check = |name: String, got: Vec<String>, expected: &[&str]| {
        total += 1;
        if got == expected {
            passed += 1;
        } else {
            eprintln!("{name}: expected {expected:?}, got {got:?}");
            differences.insert(name);
        }
    };
    // mail-auth: every signature verifies.
    for (file, signatures) in [
        ("001.txt", &["football.example.com pass", "football.example.com pass"][..]),
        ("002.txt", &["example.com pass"]),
        ("003.txt", &["ietf.org pass", "ietf.org pass"]),
        ("004.txt", &["facebookmail.com pass"]),
        ("005.txt", &["topicbox.com pass"]),
        ("006.txt", &["github.com pass"]),
    ] {
        let (records, message) = mail_auth_vector(&format!("dkim/mail-auth/{file}"));
        check(format!("dkim/mail-auth/{file}"), dkim_results(&records, &message).await, signatures);
    }
    // dkimpy: its keys under the names its tests serve them.
    let read = |file: &str| std::fs::read_to_string(data(&format!("dkim/dkimpy/{file}"))).expect("key record").trim().to_owned();
    let rsa = read("test.txt");
    let ed25519 = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".to_owned();
    let football = vec![
        ("test._domainkey.football.example.com".to_owned(), rsa.clone()),
        ("brisbane._domainkey.football.example.com".to_owned(), ed25519),
        ("test._domainkey.example.com".to_owned(), rsa),
    ];
    let gmail = vec![("20120113._domainkey.gmail.com".to_owned(), "k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1Kd87/UeJjenpabgbFwh+eBCsSTrqmwIYYvywlbhbqoo2DymndFkbjOVIPIldNs/m40KF+yzMn1skyoxcTUGCQs8g3FgD2Ap3ZB5DekAo5wMmk4wimDO+U8QzI3SD07y2+07wlNWwIt8svnxgdxGkVbbhzY8i+RQ9DpSVpPbF7ykQxtKXkv/ahW3KjViiAH+ghvvIhkx4xYSIc9oSwVmAl5OctMEeWUwg8Istjqz8BZeTWbf41fbNhte7Y+YqZOwq1Sd0DbvYAD9NOZK9vlfuac0598HY+vtSBczUiKERHv1yRbcaQtZFh5wtiRrN04BLUTD21MycBX5jYchHjPY/wIDAQAB".to_owned())];
    let exim = vec![("sed._domainkey.test.ex".to_owned(), read("eximtest.dns"))];
    for (file, records, signatures) in [
        ("rfc6376.signed.msg", &football, &["football.example.com pass", "football.example.com pass"][..]),
        ("rfc6376.signed.rsa.msg", &football, &["football.example.com pass"]),
        ("rfc6376.signed.no_t.msg", &football, &["football.example.com fail"]),
        ("ed25519test2.msg", &exim, &["test.ex pass"]),
        ("test2.message", &gmail, &["gmail.com pass"]),
        // d=legitimate.com(.attacker.com is not a domain: an error, never a pass.
        ("test.message.baddomain", &football, &["legitimate.com(.attacker.com permerror"]),
    ] {
        let message = crlf(&std::fs::read(data(&format!("dkim/dkimpy/{file}"))).expect("message"));
        check(format!("dkim/dkimpy/{file}"), dkim_results(records, &message).await, signatures);
    }
    eprintln!("DKIM vectors: {passed} of {total} pass");
    let new: Vec<&String> = differences.difference(&known).collect();
    let gone: Vec<&String> = known.iter().filter(|name| !differences.contains(*name)).collect();
    assert!(new.is_empty() && gone.is_empty(), "new differences: {new:?}; listed but now passing: {gone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valimail_arc_validation_suite() {
    let suite: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(data("arc/valimail/arc-draft-validation-tests.json")).expect("suite")).expect("JSON");
    let known = known_differences("arc/DIFFERENCES.tsv");
    let mut differences = BTreeSet::new();
    let (mut total, mut passed) = (0, 0);
    for scenario in &suite {
        let dns = TestDns::start();
        for record in scenario["txt"].as_array().expect("records") {
            // Key records are written with spaces inside the base64 (folded YAML).
            let _ = catch_unwind(AssertUnwindSafe(|| dns.add(record[0].as_str().unwrap_or_default(), "TXT", record[1].as_str().unwrap_or_default())));
        }
        let authenticator = Authenticator::new(Some(dns.address()), Duration::from_secs(1)).expect("resolver");
        let resolver = sluice_lookup::dns::DnsResolver::new(Some(dns.address()), Duration::from_secs(1)).expect("resolver");
        for test in scenario["tests"].as_array().expect("tests") {
            let name = format!("arc/valimail/{}", test["name"].as_str().unwrap_or_default());
            // Three cases leave `cv` empty; their names and descriptions say fail.
            let expected = match test["cv"].as_str().unwrap_or_default() {
                "" => "fail".to_owned(),
                cv => cv.to_ascii_lowercase(),
            };
            let message = crlf(test["message"].as_str().unwrap_or_default().as_bytes());
            let gathering = Gathering::new(Duration::from_secs(10), Duration::from_secs(10));
            let facts = authenticator.message(&gathering, &resolver, &message, None).await;
            total += 1;
            if facts.arc.chain.as_str() == expected {
                passed += 1;
            } else {
                eprintln!("{name}: expected {expected:?}, got {:?} ({})", facts.arc.chain.as_str(), facts.arc.why);
                differences.insert(name);
            }
        }
    }
    eprintln!("ValiMail ARC validation suite: {passed} of {total} pass");
    let new: Vec<&String> = differences.difference(&known).collect();
    let gone: Vec<&String> = known.iter().filter(|name| !differences.contains(*name)).collect();
    assert!(new.is_empty() && gone.is_empty(), "new differences: {new:?}; listed but now passing: {gone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rspamd_dmarc_cases() {
    let dns = TestDns::start();
    let records = std::fs::read_to_string(data("dmarc/rspamd/dns-records.tsv")).expect("records");
    for line in records.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, kind, answer, value] = fields[..] else { continue };
        if !publishable(name, kind, value) {
            continue;
        }
        let _ = catch_unwind(AssertUnwindSafe(|| match answer {
            "RECORD" => {
                dns.add(name, kind, value);
            }
            "TIMEOUT" => {
                dns.behave(name, Behaviour::Silent);
            }
            // NXDOMAIN and NODATA: the name has no record of that type.
            _ => {}
        }));
    }
    let authenticator = Authenticator::new(Some(dns.address()), Duration::from_millis(300)).expect("resolver");
    let resolver = sluice_lookup::dns::DnsResolver::new(Some(dns.address()), Duration::from_millis(300)).expect("resolver");
    let known = known_differences("dmarc/DIFFERENCES.tsv");
    let mut differences = BTreeSet::new();
    let (mut total, mut passed) = (0, 0);
    let cases = std::fs::read_to_string(data("dmarc/rspamd/CASES.tsv")).expect("cases");
    for line in cases.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, client_ip, mail_from, expected_dmarc, expected_policy, _, test_name] = fields[..] else { continue };
        let message = crlf(&std::fs::read(data(&format!("dmarc/rspamd/messages/{file}"))).expect("message"));
        let gathering = Gathering::new(Duration::from_secs(10), Duration::from_secs(10));
        let spf = match client_ip.parse() {
            Ok(ip) => Some(authenticator.spf(&gathering, ip, "mx.example.net", mail_from, "receiver.example").await),
            Err(_) => None,
        };
        let facts = authenticator.message(&gathering, &resolver, &message, spf).await;
        let outcome = facts.evaluate(&[]);
        let got = (outcome.dmarc.result.as_str(), outcome.dmarc.policy.as_str());
        let expected_policy = if expected_policy.is_empty() { "none" } else { expected_policy };
        let name = format!("dmarc/rspamd/{test_name}");
        total += 1;
        if got == (expected_dmarc, expected_policy) {
            passed += 1;
        } else {
            eprintln!("{name}: expected {:?}, got {got:?}", (expected_dmarc, expected_policy));
            differences.insert(name);
        }
    }
    eprintln!("rspamd DMARC cases: {passed} of {total} pass");
    let new: Vec<&String> = differences.difference(&known).collect();
    let gone: Vec<&String> = known.iter().filter(|name| !differences.contains(*name)).collect();
    assert!(new.is_empty() && gone.is_empty(), "new differences: {new:?}; listed but now passing: {gone:?}");
}

//! The peers' sender-authentication suites, run as data through Sluice's own
//! gathering code (`sluice_lookup::auth`) against a real DNS server
//! (`sluice-testdns`) serving each scenario's records: the OpenSPF RFC 7208
//! suite. Every case we answer differently is listed, with the reason, in
//! `tests/data/conformance/spf/DIFFERENCES.tsv`; a new difference (or one that
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

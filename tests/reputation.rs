//! Sender reputation end to end: a client network that sent 20 messages later
//! reported as spam gets `spam` / `sender-reputation` for its next message, on
//! the node that took the reports and, within seconds, on every node sharing the
//! store.

mod support;

use std::time::Duration;

use support::{Sink, Sluice, free_port, message};

/// Twenty different harmless messages (different words, so the statistical
/// classifiers' taught copies do not match the next one).
fn batch() -> Vec<Vec<u8>> {
    let topics = ["garden", "bicycle", "kitchen", "library", "concert", "harbour", "museum", "orchard", "bakery", "railway"];
    (0..20)
        .map(|n| {
            let topic = topics[n % topics.len()];
            message(
                &format!("Notes about the {topic} visit number {n}"),
                &format!("Hello Bob,\r\n\r\nhere are my notes about the {topic}, part {n}.\r\nWe should plan the next one soon.\r\n\r\nAlice\r\n"),
            )
        })
        .collect()
}

fn next_message() -> Vec<u8> {
    message("Tickets for Saturday", "Hi Bob,\r\n\r\nI have two tickets for the theatre on Saturday evening. Coming?\r\n\r\nAlice\r\n")
}

fn report_all_as_spam(sluice: &Sluice) {
    let rows = sluice.logs();
    assert_eq!(rows.len(), 20, "{rows:?}");
    for row in rows {
        assert_eq!(row["action"], "deliver", "{row}");
        let (status, body) = sluice.api_post(&format!("/api/v1/logs/{}/report", row["id"]), r#"{"as": "spam"}"#);
        assert_eq!((status, body["status"].as_str()), (200, Some("learned")), "{body}");
    }
}

fn send_all(sluice: &Sluice, messages: &[Vec<u8>]) -> Vec<i64> {
    let messages: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    sluice.send("alice@example.org", &["bob@example.net"], &messages).iter().map(|result| result["code"].as_i64().unwrap()).collect()
}

#[test]
fn a_network_that_sent_20_reported_spams_is_refused_for_its_reputation() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");

    assert_eq!(send_all(&sluice, &batch()), vec![250; 20]);
    // Before the reports the network's history is good: the next message passes.
    assert_eq!(send_all(&sluice, &[next_message()]), [250]);
    let before = sluice.newest_row();
    let evidence = before["findings"].as_array().unwrap().iter().find(|f| f["check"] == "reputation").cloned();
    assert!(evidence.is_some_and(|f| f["main_class"] == "not-spam" && f["decided"] == false), "{before}");
    // The 21st message was delivered too; report the first 20 as spam.
    let (status, body) = sluice.api("GET", "/api/v1/logs?limit=1");
    assert_eq!(status, 200);
    let newest = body["items"][0]["id"].as_i64().unwrap();
    for id in (newest - 20)..newest {
        let (status, body) = sluice.api_post(&format!("/api/v1/logs/{id}/report"), r#"{"as": "spam"}"#);
        assert_eq!((status, body["status"].as_str()), (200, Some("learned")), "{body}");
    }

    let code = send_all(&sluice, &[next_message()]);
    assert_eq!(code, [550], "{}\n{}", sluice.newest_row(), sluice.log());
    let refused = sluice.newest_row();
    assert_eq!((refused["main_class"].as_str(), refused["sub_class"].as_str()), (Some("spam"), Some("sender-reputation")), "{refused}");
    let extra = refused["extra_class"].as_str().unwrap();
    assert!(extra.starts_with("127.0.0.0/24: ") && extra.contains("20.0 reported"), "{extra}");
    assert_eq!(refused["action"], "quarantine");
}

#[test]
fn the_other_nodes_follow_a_reputation_within_seconds() {
    let Some(nodes) = support::two_nodes() else { return };
    let (node_a, node_b) = (&nodes.a, &nodes.b);
    assert_eq!(send_all(node_a, &batch()), vec![250; 20]);
    report_all_as_spam(node_a);
    // Every node follows within 5 s (each adds its batch and reads the others'
    // every second). A message node B accepted meanwhile would count as good
    // mail of the network, so it is asked once, after the 5 s.
    std::thread::sleep(Duration::from_secs(5));
    let code = send_all(node_b, &[next_message()]);
    let refused = node_b.newest_row();
    assert_eq!(code, [550], "{refused}\n{}", node_b.log());
    assert_eq!(refused["sub_class"], "sender-reputation", "{refused}");
}

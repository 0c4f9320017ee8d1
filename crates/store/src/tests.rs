//! Store tests, run against every backend available: SQLite always, PostgreSQL when
//! `SLUICE_TEST_POSTGRES_URL` names a server (CI starts one). Each test gets a fresh
//! database.

use super::*;
use sluice_model::{Action, ErrorClass};
use sqlx::{Connection, Row};

/// One fresh store per available backend, with a name for assertion messages.
pub(crate) async fn stores() -> Vec<(String, Store, Option<tempfile_dir::TempDir>)> {
    let mut stores = Vec::new();
    let dir = tempfile_dir::TempDir::new();
    let url = format!("sqlite://{}/test.db", dir.path());
    stores.push(("sqlite".to_owned(), Store::open(&url).await.expect("open sqlite"), Some(dir)));
    if let Ok(admin_url) = std::env::var("SLUICE_TEST_POSTGRES_URL") {
        sqlx::any::install_default_drivers();
        let name = format!("sluice_test_{}", new_id());
        let mut admin = sqlx::AnyConnection::connect(&admin_url).await.expect("connect postgres");
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create database");
        let (base, _) = admin_url.rsplit_once('/').expect("postgres url with a database");
        let store = Store::open(&format!("{base}/{name}")).await.expect("open postgres");
        stores.push(("postgres".to_owned(), store, None));
    }
    stores
}

/// A minimal temporary directory, so the store crate needs no extra dependency.
mod tempfile_dir {
    pub(crate) struct TempDir(std::path::PathBuf);

    impl TempDir {
        pub(super) fn new() -> TempDir {
            let path = std::env::temp_dir().join(format!("sluice-store-{}", super::new_id()));
            std::fs::create_dir_all(&path).expect("create temp dir");
            TempDir(path)
        }

        pub(super) fn path(&self) -> &str {
            self.0.to_str().expect("utf-8 temp path")
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub(crate) fn entry(action: Action, main: MainClass, sub: Subclass) -> LogEntry {
    LogEntry {
        received_at_ms: 1_700_000_000_000,
        direction: Direction::Incoming,
        client_ip: "127.0.0.1".to_owned(),
        helo: "client.example.org".to_owned(),
        sender: "alice@example.org".to_owned(),
        recipients: vec!["bob@example.net".to_owned()],
        subject: "Hello".to_owned(),
        main_class: main,
        sub_class: sub,
        error_class: None,
        extra_class: String::new(),
        score: Some(0.25),
        reply: "250 2.0.0 ok".to_owned(),
        action,
        explanation: Explanation::default(),
    }
}

pub(crate) fn route() -> NewQueueEntry {
    NewQueueEntry {
        sender: "alice@example.org".to_owned(),
        recipients: vec!["bob@example.net".to_owned()],
        route: "example.net".to_owned(),
        is_bounce: false,
        outgoing: false,
    }
}

#[tokio::test]
async fn delivered_message_is_queued_claimed_once_and_finished() {
    for (backend, store, _dir) in stores().await {
        let recorded = store
            .record_message(entry(Action::Deliver, MainClass::NotSpam, Subclass::Combined), Some(b"raw".to_vec().into()), vec![route()])
            .await
            .unwrap();
        assert!(recorded.quarantine_id.is_none(), "{backend}");
        let now = 1_700_000_000_000;
        let claimed = store.claim_due("node-a", now, 60_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "{backend}");
        assert!(store.claim_due("node-b", now, 60_000, 10).await.unwrap().is_empty(), "{backend}: leased entry claimed twice");
        assert_eq!(store.release_leases("node-b").await.unwrap(), 0, "{backend}: another node's lease released");
        assert_eq!(store.release_leases("node-a").await.unwrap(), 1, "{backend}");
        let claimed = store.claim_due("node-a", now, 60_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "{backend}: released lease not claimable");
        let entry = &claimed[0];
        assert_eq!(entry.recipients, vec!["bob@example.net"]);
        assert_eq!(store.message_raw(&entry.message_id).await.unwrap().as_deref(), Some(&b"raw"[..]));

        store.reschedule(entry, &entry.recipients, now + 1000, "451 busy", ErrorClass::DestinationUnavailable).await.unwrap();
        assert!(store.claim_due("node-a", now, 60_000, 10).await.unwrap().is_empty(), "{backend}: not yet due");
        let again = store.claim_due("node-a", now + 1000, 60_000, 10).await.unwrap();
        assert_eq!(again[0].attempts, 1, "{backend}");

        store.finish(&again[0], "delivered").await.unwrap();
        assert_eq!(store.queue_len().await.unwrap(), 0, "{backend}");
        assert!(store.message_raw(&entry.message_id).await.unwrap().is_some(), "{backend}: kept for training");
        assert_eq!(store.purge(0, 0).await.unwrap(), 0, "{backend}: purged before its time");
        assert_eq!(store.purge(i64::MAX, 0).await.unwrap(), 1, "{backend}");
        assert_eq!(store.message_raw(&entry.message_id).await.unwrap(), None, "{backend}");
        let logs = store.list_logs(10).await.unwrap();
        assert_eq!(logs[0].delivery.as_deref(), Some("delivered"), "{backend}");
        assert_eq!(logs[0].entry.score, Some(0.25));
        // Every attempt is kept, not only the latest outcome.
        let attempts = store.delivery_attempts(recorded.log_id).await.unwrap();
        let outcomes: Vec<(&str, &str)> = attempts.iter().map(|attempt| (attempt.route.as_str(), attempt.outcome.as_str())).collect();
        assert_eq!(outcomes, [("example.net", "deferred: 451 busy"), ("example.net", "delivered")], "{backend}");
        assert!(attempts[0].attempted_at_ms > 0 && attempts[0].attempted_at_ms <= attempts[1].attempted_at_ms, "{backend}");
    }
}

#[tokio::test]
async fn every_finding_is_kept_with_its_log_row() {
    for (backend, store, _dir) in stores().await {
        let mut logged = entry(Action::Quarantine, MainClass::Spam, Subclass::Gtube);
        let finding = |main, sub, extra: &str| LoggedFinding {
            check: "test".to_owned(),
            main_class: main,
            sub_class: sub,
            reason: sluice_model::Reason::Class,
            extra_class: extra.to_owned(),
            score: None,
            error_class: None,
        };
        logged.explanation = Explanation {
            findings: vec![
                finding(MainClass::Spam, Subclass::BadlyFormed, "line 1200 octets"),
                finding(MainClass::Spam, Subclass::Gtube, "GTUBE"),
            ],
            decided: Some(PathStep { tier: sluice_model::Precedence::Structural, finding: 0 }),
            next: Some(PathStep { tier: sluice_model::Precedence::DecisiveContent, finding: 1 }),
            lookups: vec![LoggedLookup { what: "A example.org".to_owned(), outcome: "answer".to_owned(), took_ms: 3 }],
        };
        let recorded = store.record_message(logged.clone(), Some(b"raw".to_vec().into()), vec![]).await.unwrap();
        let row = store.get_log(recorded.log_id).await.unwrap().expect("row");
        assert_eq!(row.entry.explanation, logged.explanation, "{backend}");
        let id = store.log_event(&entry(Action::Reject, MainClass::Spam, Subclass::InvalidDomain)).await.unwrap();
        let row = store.get_log(id).await.unwrap().expect("row");
        assert_eq!(row.entry.explanation, Explanation::default(), "{backend}");
    }
}

#[tokio::test]
async fn quarantined_message_is_released_once() {
    for (backend, store, _dir) in stores().await {
        let recorded = store
            .record_message(entry(Action::Quarantine, MainClass::Spam, Subclass::Gtube), Some(b"spam".to_vec().into()), vec![])
            .await
            .unwrap();
        let id = recorded.quarantine_id.expect("quarantine id");
        assert_eq!(store.queue_len().await.unwrap(), 0, "{backend}: quarantined message queued");
        let listed = store.list_quarantine(10).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].sub_class, Subclass::Gtube);

        let released = store.release_quarantine(&id, "admin", &[route()], 1).await.unwrap();
        assert!(matches!(released, Released::Queued { .. }), "{backend}");
        assert_eq!(store.release_quarantine(&id, "admin", &[route()], 2).await.unwrap(), Released::AlreadyReleased);
        assert_eq!(store.release_quarantine("nope", "admin", &[route()], 2).await.unwrap(), Released::NotFound);
        assert_eq!(store.queue_len().await.unwrap(), 1, "{backend}");
        assert!(store.list_quarantine(10).await.unwrap().is_empty());

        // The message stays while the quarantine row refers to it.
        let claimed = store.claim_due("node-a", i64::MAX / 2, 1, 10).await.unwrap();
        store.finish(&claimed[0], "delivered").await.unwrap();
        assert!(store.message_raw(&claimed[0].message_id).await.unwrap().is_some());
        assert_eq!(store.purge(0, 0).await.unwrap(), 0, "{backend}");
        // Released (at time 1): gone once the message retention passes its age.
        assert_eq!(store.purge(1_700_000_000_001, 0).await.unwrap(), 1, "{backend}");
        assert!(store.get_quarantine(&id).await.unwrap().is_none(), "{backend}");

        // Unreleased quarantine goes after the quarantine retention only.
        let recorded = store
            .record_message(entry(Action::Quarantine, MainClass::Spam, Subclass::Gtube), Some(b"spam".to_vec().into()), vec![])
            .await
            .unwrap();
        assert_eq!(store.purge(i64::MAX, 0).await.unwrap(), 0, "{backend}: quarantined message purged");
        assert_eq!(store.purge(i64::MAX, i64::MAX).await.unwrap(), 1, "{backend}");
        assert!(store.get_quarantine(&recorded.quarantine_id.unwrap()).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn refusals_are_logged_without_a_message() {
    for (backend, store, _dir) in stores().await {
        let mut refused = entry(Action::Reject, MainClass::Spam, Subclass::InvalidDomain);
        refused.reply = "550 5.7.1 Relay not permitted!".to_owned();
        refused.score = None;
        store.log_event(&refused).await.unwrap();
        let logs = store.list_logs(1).await.unwrap();
        assert_eq!(logs[0].entry.reply, "550 5.7.1 Relay not permitted!", "{backend}");
        assert_eq!(logs[0].entry.sub_class, Subclass::InvalidDomain);
        assert_eq!(logs[0].message_id, None);
        assert_eq!(logs[0].entry.score, None);
        assert!(store.get_log(logs[0].id).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn unsupported_urls_are_refused_with_a_clear_error() {
    let error = Store::open("mysql://localhost/db").await.err().expect("refused");
    assert!(error.to_string().contains("expected sqlite://PATH or postgres://"));
}

#[tokio::test]
async fn concurrent_records_are_committed_together_and_each_answered() {
    for (backend, store, _dir) in stores().await {
        let tasks: Vec<_> = (0..50)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut entry = entry(Action::Deliver, MainClass::NotSpam, Subclass::Combined);
                    entry.subject = format!("message {n}");
                    store.record_message(entry, Some(vec![b'x'; n + 1].into()), vec![route()]).await
                })
            })
            .collect();
        let mut log_ids = Vec::new();
        for task in tasks {
            log_ids.push(task.await.unwrap().unwrap().log_id);
        }
        log_ids.sort();
        log_ids.dedup();
        assert_eq!(log_ids.len(), 50, "{backend}");
        assert_eq!(store.queue_len().await.unwrap(), 50, "{backend}");
    }
}

#[tokio::test]
async fn learning_rows_are_replayed_in_order() {
    for (backend, store, _dir) in stores().await {
        let first = store.append_deltas("node-a", &[b"one".to_vec()], 1).await.unwrap()[0];
        let second = store.append_deltas("node-b", &[b"two".to_vec()], 2).await.unwrap()[0];
        assert!(second > first, "{backend}");
        let all = store.deltas_after(0, 10).await.unwrap();
        assert_eq!(all, vec![(first, b"one".to_vec()), (second, b"two".to_vec())], "{backend}");
        assert_eq!(store.deltas_after(first, 10).await.unwrap().len(), 1, "{backend}");
        assert!(store.deltas_after(second, 10).await.unwrap().is_empty(), "{backend}");
        let bulk = store.append_deltas("node-a", &[b"three".to_vec(), b"four".to_vec()], 3).await.unwrap();
        assert_eq!(bulk.len(), 2, "{backend}");
        assert!(bulk[0] > second && bulk[1] > bulk[0], "{backend}");
        assert_eq!(store.deltas_after(second, 1).await.unwrap(), vec![(bulk[0], b"three".to_vec())], "{backend}");
    }
}

#[tokio::test]
async fn settings_are_seeded_changed_and_reseeded_when_the_file_changes() {
    use SettingsScope::{Domain, Global, Mailbox};
    for (backend, store, _dir) in stores().await {
        assert_eq!(store.seed_settings(Domain, "example.net", "{\"a\":1}", 1).await.unwrap(), "{\"a\":1}", "{backend}");
        store.set_settings(Domain, "example.net", "{\"a\":2}", 2).await.unwrap();
        // Same file: the API's change stays.
        assert_eq!(store.seed_settings(Domain, "example.net", "{\"a\":1}", 3).await.unwrap(), "{\"a\":2}", "{backend}");
        // The file changed: it wins.
        assert_eq!(store.seed_settings(Domain, "example.net", "{\"a\":3}", 4).await.unwrap(), "{\"a\":3}", "{backend}");
        // A mailbox exists only through the API; the global scope is seeded like a domain.
        store.set_settings(Mailbox, "bob@example.net", "{\"b\":1}", 5).await.unwrap();
        store.set_settings(Mailbox, "bob@example.net", "{\"b\":2}", 6).await.unwrap();
        assert_eq!(store.seed_settings(Global, "", "{}", 7).await.unwrap(), "{}", "{backend}");
        let mut all = store.all_settings().await.unwrap();
        all.sort_by(|a, b| a.1.cmp(&b.1));
        assert_eq!(
            all,
            vec![
                (Global, String::new(), "{}".to_owned()),
                (Mailbox, "bob@example.net".to_owned(), "{\"b\":2}".to_owned()),
                (Domain, "example.net".to_owned(), "{\"a\":3}".to_owned()),
            ],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn learning_rows_are_compacted_into_a_snapshot() {
    for (backend, store, _dir) in stores().await {
        let old = store.append_deltas("node-a", &[b"old".to_vec()], 1).await.unwrap()[0];
        let recent = store.append_deltas("node-a", &[b"recent".to_vec()], 1_000).await.unwrap()[0];
        let later = store.append_deltas("node-a", &[b"later".to_vec()], 2_000).await.unwrap()[0];
        assert_eq!(store.latest_snapshot().await.unwrap(), None, "{backend}");
        // Covers the first two; only rows older than 500 ms go.
        assert_eq!(store.compact_learning(recent, b"model", 500, 3_000).await.unwrap(), 1, "{backend}");
        assert_eq!(store.latest_snapshot().await.unwrap(), Some((recent, b"model".to_vec())), "{backend}");
        let left: Vec<i64> = store.deltas_after(0, 10).await.unwrap().into_iter().map(|(id, _)| id).collect();
        assert_eq!(left, vec![recent, later], "{backend}: {old} should be gone");
        assert_eq!(store.deltas_count_after(recent).await.unwrap(), 1, "{backend}");
        store.compact_learning(later, b"newer", i64::MAX, 4_000).await.unwrap();
        assert_eq!(store.latest_snapshot().await.unwrap(), Some((later, b"newer".to_vec())), "{backend}");
        assert!(store.deltas_after(0, 10).await.unwrap().is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn list_entries_are_added_listed_removed_and_versioned() {
    for (backend, store, _dir) in stores().await {
        assert_eq!(store.list_version().await.unwrap(), (0, 0), "{backend}");
        let new = |scope, value| NewListEntry { kind: "block", scope, field: "ip", value, unauthenticated: scope == "global" };
        let ids = store.add_list_entries(&[new("global", "10.0.0.0/8"), new("domain:example.test", "192.0.2.1/32")], 1).await.unwrap();
        assert_eq!(ids.len(), 2, "{backend}");
        let global = store.list_entries("block", Some("global")).await.unwrap();
        assert_eq!(global.len(), 1, "{backend}");
        assert!(global[0].unauthenticated, "{backend}");
        assert_eq!(store.list_entries("block", None).await.unwrap().len(), 2, "{backend}");
        assert!(store.list_entries("allow", None).await.unwrap().is_empty(), "{backend}");
        let before = store.list_version().await.unwrap();
        assert!(!store.remove_list_entry("allow", ids[0]).await.unwrap(), "{backend}: removed from the other list");
        assert!(store.remove_list_entry("block", ids[0]).await.unwrap(), "{backend}");
        assert_ne!(store.list_version().await.unwrap(), before, "{backend}");
        let left = store.all_list_entries().await.unwrap();
        assert_eq!(left.len(), 1, "{backend}");
        assert_eq!(left[0].value, "192.0.2.1/32", "{backend}");
        assert!(!left[0].unauthenticated, "{backend}");
    }
}

#[tokio::test]
async fn domains_are_added_removed_with_what_acted_for_them_and_versioned() {
    use crate::{RemovedDomain, SettingsScope::*};
    for (backend, store, _dir) in stores().await {
        assert_eq!(store.domain_version().await.unwrap(), 0, "{backend}");
        assert!(store.add_domain("added.test", "127.0.0.1:2526", "admin", 1).await.unwrap(), "{backend}");
        assert!(!store.add_domain("added.test", "127.0.0.1:9999", "someone", 2).await.unwrap(), "{backend}: already there");
        assert!(store.add_domain("other.test", "10.0.0.5:25", "admin", 3).await.unwrap(), "{backend}");
        assert_eq!(store.domain_version().await.unwrap(), 2, "{backend}");
        let stored = store.stored_domains().await.unwrap();
        let names: Vec<(&str, &str, Option<i64>)> =
            stored.iter().map(|domain| (domain.name.as_str(), domain.destination.as_str(), domain.removed_at_ms)).collect();
        assert_eq!(names, [("added.test", "127.0.0.1:2526", None), ("other.test", "10.0.0.5:25", None)], "{backend}");
        assert_eq!((stored[0].added_by.as_str(), stored[0].added_at_ms), ("admin", 1), "{backend}");

        // What acts for the domain, and what looks alike but is another's.
        store.set_settings(Domain, "added.test", "{\"a\":1}", 4).await.unwrap();
        store.set_settings(Mailbox, "bob@added.test", "{\"b\":1}", 4).await.unwrap();
        store.set_settings(Mailbox, "bob@notadded.test", "{\"b\":1}", 4).await.unwrap();
        store.set_settings(Domain, "other.test", "{\"a\":1}", 4).await.unwrap();
        let entry = |scope| NewListEntry { kind: "block", scope, field: "ip", value: "10.0.0.0/8", unauthenticated: false };
        store
            .add_list_entries(&[entry("domain:added.test"), entry("mailbox:bob@added.test"), entry("mailbox:bob@notadded.test"), entry("global")], 4)
            .await
            .unwrap();
        let rule = |scope| NewRule { name: "r", scope, field: "helo", header: "", operator: "equals", value: "x", action: "block", enabled: true };
        store.add_rules(&[rule("domain:added.test"), rule("domain:other.test")], 4).await.unwrap();

        let removed = store.remove_domain("added.test", "admin", 5).await.unwrap();
        assert_eq!(removed, Some(RemovedDomain { settings: 2, list_entries: 2, rules: 1 }), "{backend}");
        assert_eq!(store.remove_domain("added.test", "admin", 6).await.unwrap(), None, "{backend}: removed once");
        assert_eq!(store.remove_domain("never.test", "admin", 6).await.unwrap(), None, "{backend}");
        assert_eq!(store.domain_version().await.unwrap(), 3, "{backend}");
        let settings: Vec<String> = store.all_settings().await.unwrap().into_iter().map(|(_, name, _)| name).collect();
        assert!(!settings.iter().any(|name| name.ends_with("@added.test") || name == "added.test"), "{backend}: {settings:?}");
        assert!(settings.contains(&"bob@notadded.test".to_owned()) && settings.contains(&"other.test".to_owned()), "{backend}");
        let scopes: Vec<String> = store.all_list_entries().await.unwrap().into_iter().map(|entry| entry.scope).collect();
        assert_eq!(scopes, ["mailbox:bob@notadded.test", "global"], "{backend}");
        let rules: Vec<String> = store.rules(None).await.unwrap().into_iter().map(|rule| rule.scope).collect();
        assert_eq!(rules, ["domain:other.test"], "{backend}");
        // The row stays, marked removed, for the mail queued before.
        let gone = store.stored_domains().await.unwrap().into_iter().find(|domain| domain.name == "added.test").unwrap();
        assert_eq!((gone.destination.as_str(), gone.removed_at_ms), ("127.0.0.1:2526", Some(5)), "{backend}");

        // Added again: back, with the new destination.
        assert!(store.add_domain("added.test", "127.0.0.1:2600", "admin", 7).await.unwrap(), "{backend}");
        let back = store.stored_domains().await.unwrap().into_iter().find(|domain| domain.name == "added.test").unwrap();
        assert_eq!((back.destination.as_str(), back.removed_at_ms, back.added_at_ms), ("127.0.0.1:2600", None, 7), "{backend}");
        assert_eq!(store.domain_version().await.unwrap(), 4, "{backend}");
    }
}

#[tokio::test]
async fn rules_are_added_changed_listed_removed_and_versioned() {
    for (backend, store, _dir) in stores().await {
        assert_eq!(store.rule_version().await.unwrap(), (0, 0), "{backend}");
        let new = |name, scope| NewRule {
            name,
            scope,
            field: "header",
            header: "X-Spam",
            operator: "equals",
            value: "yes",
            action: "block",
            enabled: true,
        };
        let ids = store.add_rules(&[new("one", "global"), new("two", "domain:example.test")], 1).await.unwrap();
        assert_eq!(ids.len(), 2, "{backend}");
        assert_eq!(store.rules(Some("global")).await.unwrap().len(), 1, "{backend}");
        assert_eq!(store.rules(None).await.unwrap().len(), 2, "{backend}");
        let before = store.rule_version().await.unwrap();
        assert!(store.update_rule(ids[0], &NewRule { enabled: false, value: "no", ..new("uno", "global") }, 2).await.unwrap(), "{backend}");
        assert!(!store.update_rule(ids[1] + 100, &new("x", "global"), 2).await.unwrap(), "{backend}");
        let changed = store.rule_version().await.unwrap();
        assert_ne!(changed, before, "{backend}");
        let stored = store.rule(ids[0]).await.unwrap().unwrap();
        assert_eq!((stored.name.as_str(), stored.value.as_str(), stored.enabled, stored.header.as_str()), ("uno", "no", false, "X-Spam"), "{backend}");
        assert!(store.remove_rule(ids[1]).await.unwrap(), "{backend}");
        assert!(!store.remove_rule(ids[1]).await.unwrap(), "{backend}");
        assert_ne!(store.rule_version().await.unwrap(), changed, "{backend}");
        assert_eq!(store.rule(ids[1]).await.unwrap(), None, "{backend}");
        assert_eq!(store.rules(None).await.unwrap().len(), 1, "{backend}");
    }
}

#[tokio::test]
async fn counters_add_up_across_batches_and_expire_by_window() {
    for (backend, store, _dir) in stores().await {
        let delta = |name: &str, window_start, delta| CounterDelta { name: name.to_owned(), window_start, delta };
        let totals = store.add_to_counters(&[delta("a", 60, 3), delta("b", 60, 1)]).await.unwrap();
        assert_eq!(totals, [3, 1], "{backend}");
        // Another node's batch for the same window adds to it.
        let totals = store.add_to_counters(&[delta("a", 60, 2), delta("a", 120, 1)]).await.unwrap();
        assert_eq!(totals, [5, 1], "{backend}");
        assert_eq!(store.add_to_counters(&[]).await.unwrap(), Vec::<i64>::new());
        assert_eq!(store.add_to_counters(&[delta("a", 60, 0), delta("c", 60, 0)]).await.unwrap(), [5, 0], "{backend}: reads");
        assert_eq!(store.expire_counters(120).await.unwrap(), 2, "{backend}");
        assert_eq!(store.add_to_counters(&[delta("a", 60, 1)]).await.unwrap(), [1], "{backend}: expired rows start over");
    }
}

#[tokio::test]
async fn reputation_batches_add_up_and_are_read_back_by_change_time() {
    for (backend, store, _dir) in stores().await {
        let row = |sender: &str, accepted: f64, reported: f64| crate::ReputationRow {
            kind: "network".to_owned(),
            sender: sender.to_owned(),
            accepted,
            refused: 0.0,
            reported,
            released: 0.0,
        };
        let sources = [(7, Some("192.0.2.0/24".to_owned()), None)];
        store.add_to_reputation(&[row("192.0.2.0/24", 2.0, 0.0), row("198.51.100.0/24", 0.5, 0.0)], &sources, 1_000).await.unwrap();
        // Another node's batch adds to the same sender.
        store.add_to_reputation(&[row("192.0.2.0/24", -1.0, 1.0)], &[], 2_000).await.unwrap();
        let changed = store.reputation_since(1_500, 100).await.unwrap();
        assert_eq!(changed, vec![(row("192.0.2.0/24", 1.0, 1.0), 2_000)], "{backend}");
        assert_eq!(store.reputation_since(0, 100).await.unwrap().len(), 2, "{backend}");
        assert_eq!(store.expire_reputation(1.0).await.unwrap(), 1, "{backend}: under one message");
        assert_eq!(store.reputation_source(7).await.unwrap(), Some((Some("192.0.2.0/24".to_owned()), None)), "{backend}");
        assert_eq!(store.reputation_source(8).await.unwrap(), None, "{backend}");
        assert_eq!(store.expire_reputation_sources(2_000).await.unwrap(), 1, "{backend}");
    }
}

#[tokio::test]
async fn greylisting_remembers_first_sightings_and_history() {
    for (backend, store, _dir) in stores().await {
        assert_eq!(store.greylist_sighting("t", 1_000, 0).await.unwrap(), 1_000, "{backend}");
        assert_eq!(store.greylist_sighting("t", 5_000, 0).await.unwrap(), 1_000, "{backend}: a retry keeps the first sighting");
        assert_eq!(store.greylist_sighting("t", 9_000, 2_000).await.unwrap(), 9_000, "{backend}: past the window it starts over");
        assert_eq!(store.client_history("192.0.2.0/24", "example.org").await.unwrap(), (None, None), "{backend}");
        store.record_accepted_client("192.0.2.0/24", Some("example.org"), 7_000).await.unwrap();
        store.record_accepted_client("192.0.2.0/24", None, 8_000).await.unwrap();
        assert_eq!(store.client_history("192.0.2.0/24", "example.org").await.unwrap(), (Some(8_000), Some(7_000)), "{backend}");
        assert_eq!(store.expire_greylisting(10_000, 7_500).await.unwrap(), 2, "{backend}: the triplet and the sender history");
        assert_eq!(store.client_history("192.0.2.0/24", "example.org").await.unwrap(), (Some(8_000), None), "{backend}");
    }
}

#[tokio::test]
async fn users_are_added_once_renamed_never_and_removed() {
    for (backend, store, _dir) in stores().await {
        let domains = vec!["Example.NET".to_owned()];
        let admin = NewUser { name: "Root@Example.net", role: Role::DomainAdmin, domains: &domains, password_hash: "$argon2id$a", };
        assert!(store.add_user(&admin, 10).await.unwrap(), "{backend}");
        assert!(!store.add_user(&NewUser { password_hash: "$argon2id$b", ..admin.clone() }, 11).await.unwrap(), "{backend}: added twice");
        let user = store.get_user("root@example.NET").await.unwrap().expect("user");
        assert_eq!(user.name, "root@example.net", "{backend}");
        assert_eq!(user.role, Role::DomainAdmin);
        assert_eq!(user.domains, vec!["example.net"]);
        assert_eq!((user.password_hash.as_str(), user.created_at_ms, user.updated_at_ms), ("$argon2id$a", 10, 10));
        assert_eq!(user.audience(), Audience::Domains(vec!["example.net".to_owned()]));

        assert!(store.set_user_password("ROOT@example.net", "$argon2id$c", 20).await.unwrap(), "{backend}");
        assert!(!store.set_user_password("nobody", "$argon2id$c", 20).await.unwrap(), "{backend}");
        let user = store.get_user("root@example.net").await.unwrap().expect("user");
        assert_eq!((user.password_hash.as_str(), user.created_at_ms, user.updated_at_ms), ("$argon2id$c", 10, 20));

        store.add_user(&NewUser { name: "alice", role: Role::Admin, domains: &[], password_hash: "x" }, 5).await.unwrap();
        // API tokens: found by hash, listed without it, gone with their user.
        store.add_api_token("hash-1", "Alice", "cli", 6).await.unwrap();
        store.add_api_token("hash-2", "alice", "cron", 7).await.unwrap();
        assert_eq!(store.api_token_user("hash-1").await.unwrap().map(|user| user.name).as_deref(), Some("alice"), "{backend}");
        assert_eq!(store.api_token_user("hash-3").await.unwrap(), None, "{backend}");
        let labels: Vec<String> = store.api_tokens("ALICE").await.unwrap().into_iter().map(|token| token.label).collect();
        assert_eq!(labels, ["cli", "cron"], "{backend}");
        let names: Vec<String> = store.list_users().await.unwrap().into_iter().map(|user| user.name).collect();
        assert_eq!(names, ["alice", "root@example.net"], "{backend}");
        assert!(store.remove_user("Alice").await.unwrap(), "{backend}");
        assert!(!store.remove_user("alice").await.unwrap(), "{backend}");
        assert!(store.get_user("alice").await.unwrap().is_none(), "{backend}");
        assert_eq!(store.api_token_user("hash-1").await.unwrap(), None, "{backend}: a token outlived its user");
        assert!(store.api_tokens("alice").await.unwrap().is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn url_hash_lists_are_replaced_whole_and_versioned() {
    for (backend, store, _dir) in stores().await {
        assert_eq!(store.url_hash_version().await.unwrap(), 0, "{backend}");
        let (a, b, c) = ("a".repeat(64), "b".repeat(64), "c".repeat(64));
        assert_eq!(store.replace_url_hashes("phishing", &[a.clone(), b.clone(), a.clone()], 1).await.unwrap(), 2, "{backend}");
        assert_eq!(store.replace_url_hashes("malware", std::slice::from_ref(&c), 1).await.unwrap(), 1, "{backend}");
        let first = store.url_hash_version().await.unwrap();
        assert_eq!(first, 2, "{backend}");
        // A new import replaces the list and changes the version.
        assert_eq!(store.replace_url_hashes("phishing", std::slice::from_ref(&b), 2).await.unwrap(), 1, "{backend}");
        assert_ne!(store.url_hash_version().await.unwrap(), first, "{backend}");
        let all = store.all_url_hashes().await.unwrap();
        assert_eq!(all, [("malware".to_owned(), c.clone()), ("phishing".to_owned(), b.clone())], "{backend}");
    }
}

#[tokio::test]
async fn users_web_sessions_expire_and_ids_are_unique() {
    for (backend, store, _dir) in stores().await {
        assert!(store.create_web_session("s1", "{\"a\":1}", 1_000, 0).await.unwrap(), "{backend}");
        assert!(!store.create_web_session("s1", "{}", 1_000, 0).await.unwrap(), "{backend}: id taken twice");
        assert_eq!(store.load_web_session("s1", 999).await.unwrap().as_deref(), Some("{\"a\":1}"), "{backend}");
        assert_eq!(store.load_web_session("s1", 1_000).await.unwrap(), None, "{backend}: expired session loaded");
        store.save_web_session("s1", "{\"a\":2}", 5_000).await.unwrap();
        assert_eq!(store.load_web_session("s1", 1_000).await.unwrap().as_deref(), Some("{\"a\":2}"), "{backend}");
        // Creating a session sweeps the expired ones.
        store.save_web_session("old", "{}", 10).await.unwrap();
        assert!(store.create_web_session("s2", "{}", 9_000, 100).await.unwrap());
        assert!(store.load_web_session("old", 0).await.unwrap().is_none(), "{backend}: expired session kept");
        store.delete_web_session("s1").await.unwrap();
        assert_eq!(store.load_web_session("s1", 0).await.unwrap(), None, "{backend}");
    }
}

/// A log row to and from given addresses with a subject, at a time.
fn addressed(sender: &str, recipients: &[&str], subject: &str, at_ms: i64, action: Action, main: MainClass, sub: Subclass) -> LogEntry {
    LogEntry {
        received_at_ms: at_ms,
        sender: sender.to_owned(),
        recipients: recipients.iter().map(|recipient| (*recipient).to_owned()).collect(),
        subject: subject.to_owned(),
        ..entry(action, main, sub)
    }
}

#[tokio::test]
async fn users_see_only_their_audience_in_log_searches() {
    for (backend, store, _dir) in stores().await {
        let rows = [
            addressed("a@example.org", &["Bob@Example.NET"], "Invoice 100%", 1_000, Action::Deliver, MainClass::NotSpam, Subclass::Combined),
            addressed("spam@bad.test", &["carol@example.com", "bob@example.net"], "Cheap_pills", 2_000, Action::Quarantine, MainClass::Spam, Subclass::Gtube),
            addressed("b@example.org", &["dave@example.com"], "Lunch", 3_000, Action::Reject, MainClass::Spam, Subclass::BadlyFormed),
            addressed("c@example.org", &["eve@sub.example.net"], "Hello", 4_000, Action::Deliver, MainClass::NotSpam, Subclass::Combined),
            addressed("d@example.org", &["bob@example.net.evil.test"], "Lookalike", 5_000, Action::Deliver, MainClass::NotSpam, Subclass::Combined),
        ];
        let mut ids = Vec::new();
        for row in &rows {
            ids.push(store.log_event(row).await.unwrap());
        }
        let found = |search: LogSearch| {
            let store = store.clone();
            async move { store.search_logs(&search).await.unwrap().into_iter().map(|row| row.id).collect::<Vec<_>>() }
        };
        let everything = LogSearch::new(Audience::Everything, 100);
        assert_eq!(found(everything.clone()).await, [ids[4], ids[3], ids[2], ids[1], ids[0]], "{backend}: newest first");
        let net = Audience::Domains(vec!["example.net".to_owned()]);
        assert_eq!(found(LogSearch::new(net.clone(), 100)).await, [ids[1], ids[0]], "{backend}: domain admin");
        let bob = Audience::Mailbox("bob@example.net".to_owned());
        assert_eq!(found(LogSearch::new(bob.clone(), 100)).await, [ids[1], ids[0]], "{backend}: mailbox user");
        assert_eq!(found(LogSearch::new(Audience::Domains(Vec::new()), 100)).await, Vec::<i64>::new(), "{backend}");
        // The SQL filter agrees with the check of one row.
        for (row, id) in rows.iter().zip(&ids) {
            for audience in [&net, &bob] {
                let listed = found(LogSearch::new(audience.clone(), 100)).await.contains(id);
                assert_eq!(audience.sees(&row.recipients), listed, "{backend}: {audience:?} {:?}", row.recipients);
            }
        }

        // Keyset pages.
        let page = LogSearch { limit: 2, ..everything.clone() };
        assert_eq!(found(page.clone()).await, [ids[4], ids[3]]);
        assert_eq!(found(LogSearch { before_id: Some(ids[3]), ..page }).await, [ids[2], ids[1]], "{backend}");

        // Filters, wildcards in the search text taken literally.
        assert_eq!(found(LogSearch { subject: "100%".to_owned(), ..everything.clone() }).await, [ids[0]], "{backend}");
        assert_eq!(found(LogSearch { subject: "p_lls".to_owned(), ..everything.clone() }).await, Vec::<i64>::new(), "{backend}");
        assert_eq!(found(LogSearch { subject: "CHEAP_".to_owned(), ..everything.clone() }).await, [ids[1]], "{backend}");
        assert_eq!(found(LogSearch { sender: "EXAMPLE.org".to_owned(), ..everything.clone() }).await, [ids[4], ids[3], ids[2], ids[0]]);
        assert_eq!(found(LogSearch { recipient: "carol".to_owned(), ..everything.clone() }).await, [ids[1]], "{backend}");
        assert_eq!(found(LogSearch { main_class: Some(MainClass::Spam), ..everything.clone() }).await, [ids[2], ids[1]]);
        assert_eq!(found(LogSearch { sub_class: Some(Subclass::Gtube), ..everything.clone() }).await, [ids[1]], "{backend}");
        assert_eq!(found(LogSearch { action: Some(Action::Reject), ..everything.clone() }).await, [ids[2]], "{backend}");
        assert_eq!(found(LogSearch { from_ms: Some(2_000), until_ms: Some(4_000), ..everything.clone() }).await, [ids[2], ids[1]]);
        assert_eq!(found(LogSearch { client_ip: "127.0.".to_owned(), ..everything.clone() }).await.len(), 5, "{backend}");
        assert_eq!(found(LogSearch { client_ip: "10.".to_owned(), ..everything.clone() }).await.len(), 0, "{backend}");
        assert_eq!(found(LogSearch { subject: "cheap".to_owned(), ..LogSearch::new(Audience::Mailbox("dave@example.com".to_owned()), 10) }).await, Vec::<i64>::new());
        // The trigram index (3 characters and more) finds what the substring
        // search finds, quotes and case included; shorter texts go without it.
        let quoted = store
            .log_event(&addressed("q@example.org", &["bob@example.net"], "Re: \"Quoted\" ünïcode", 6_000, Action::Deliver, MainClass::NotSpam, Subclass::Combined))
            .await
            .unwrap();
        assert_eq!(found(LogSearch { subject: "\"quoted\"".to_owned(), ..everything.clone() }).await, [quoted], "{backend}");
        assert_eq!(found(LogSearch { subject: "QUOT".to_owned(), ..everything.clone() }).await, [quoted], "{backend}");
        assert_eq!(found(LogSearch { subject: "ünï".to_owned(), ..everything.clone() }).await, [quoted], "{backend}");
        assert_eq!(found(LogSearch { subject: "Re".to_owned(), ..everything.clone() }).await, [quoted], "{backend}");
        assert_eq!(found(LogSearch { subject: "nch".to_owned(), ..everything.clone() }).await, [ids[2]], "{backend}: Lunch");
        assert_eq!(found(LogSearch { subject: "\"".to_owned(), ..everything.clone() }).await, [quoted], "{backend}");
    }
}

#[tokio::test]
async fn outgoing_rows_are_searched_apart_and_seen_by_their_sender() {
    for (backend, store, _dir) in stores().await {
        let outgoing = |sender: &str, subject: &str, at_ms: i64| LogEntry {
            direction: Direction::Outgoing,
            ..addressed(sender, &["someone@example.org"], subject, at_ms, Action::Deliver, MainClass::NotSpam, Subclass::Combined)
        };
        let rows = [
            outgoing("Bob@Example.net", "from bob", 1_000),
            outgoing("carol@example.com", "from carol", 2_000),
            outgoing("mallory@example.net.evil.test", "lookalike", 3_000),
        ];
        let mut ids = Vec::new();
        for row in &rows {
            ids.push(store.log_event(row).await.unwrap());
        }
        let incoming = store
            .log_event(&addressed("x@example.org", &["bob@example.net"], "in", 4_000, Action::Deliver, MainClass::NotSpam, Subclass::Combined))
            .await
            .unwrap();
        let found = |audience: Audience| {
            let store = store.clone();
            async move {
                let search = LogSearch { direction: Direction::Outgoing, ..LogSearch::new(audience, 100) };
                store.search_logs(&search).await.unwrap().into_iter().map(|row| row.id).collect::<Vec<_>>()
            }
        };
        assert_eq!(found(Audience::Everything).await, [ids[2], ids[1], ids[0]], "{backend}: outgoing only");
        let net = Audience::Domains(vec!["example.net".to_owned()]);
        let bob = Audience::Mailbox("bob@example.net".to_owned());
        assert_eq!(found(net.clone()).await, [ids[0]], "{backend}: by the sender's domain, exactly");
        assert_eq!(found(bob.clone()).await, [ids[0]], "{backend}");
        assert_eq!(found(Audience::Domains(Vec::new())).await, Vec::<i64>::new(), "{backend}");
        for (row, id) in rows.iter().zip(&ids) {
            for audience in [&net, &bob] {
                assert_eq!(audience.sees_row(row), found(audience.clone()).await.contains(id), "{backend}: {audience:?} {}", row.sender);
            }
        }
        let incoming_rows = store.search_logs(&LogSearch::new(Audience::Everything, 100)).await.unwrap();
        assert_eq!(incoming_rows.iter().map(|row| row.id).collect::<Vec<_>>(), [incoming], "{backend}: incoming only");
    }
}

#[tokio::test]
async fn users_see_only_their_audience_in_the_quarantine() {
    for (backend, store, _dir) in stores().await {
        let mut ids = Vec::new();
        for (recipient, subject, at) in [("bob@example.net", "one", 1_000), ("carol@example.com", "two", 2_000), ("bob@example.net", "three", 2_000)] {
            let logged = addressed("spam@bad.test", &[recipient], subject, at, Action::Quarantine, MainClass::Spam, Subclass::Gtube);
            let recorded = store.record_message(logged, Some(b"raw".to_vec().into()), vec![]).await.unwrap();
            ids.push(recorded.quarantine_id.expect("quarantined"));
        }
        let search = |audience: Audience| QuarantineSearch {
            sender: String::new(),
            recipient: String::new(),
            subject: String::new(),
            after: None,
            limit: 100,
            audience,
        };
        let subjects = |rows: Vec<QuarantineRow>| rows.into_iter().map(|row| row.subject).collect::<Vec<_>>();
        let all = store.search_quarantine(&search(Audience::Everything)).await.unwrap();
        assert_eq!(all.len(), 3, "{backend}");
        assert_eq!(all[2].subject, "one", "{backend}: oldest last");
        let mut bob = subjects(store.search_quarantine(&search(Audience::Mailbox("bob@example.net".to_owned()))).await.unwrap());
        bob.sort();
        assert_eq!(bob, ["one", "three"], "{backend}");
        let com = store.search_quarantine(&search(Audience::Domains(vec!["example.com".to_owned()]))).await.unwrap();
        assert_eq!(subjects(com), ["two"], "{backend}");
        // Keyset pages over rows created in the same millisecond.
        let first = store.search_quarantine(&QuarantineSearch { limit: 1, ..search(Audience::Everything) }).await.unwrap();
        let after = Some((first[0].created_at_ms, first[0].id.clone()));
        let rest = store.search_quarantine(&QuarantineSearch { after, ..search(Audience::Everything) }).await.unwrap();
        assert_eq!(rest.len(), 2, "{backend}");
        assert!(rest.iter().all(|row| row.id != first[0].id), "{backend}");
        let found = store.search_quarantine(&QuarantineSearch { subject: "THR".to_owned(), ..search(Audience::Everything) }).await.unwrap();
        assert_eq!(subjects(found), ["three"], "{backend}");
    }
}

#[tokio::test]
async fn users_delete_an_unreleased_quarantined_message_once() {
    for (backend, store, _dir) in stores().await {
        let recorded = store
            .record_message(entry(Action::Quarantine, MainClass::Spam, Subclass::Gtube), Some(b"spam".to_vec().into()), vec![])
            .await
            .unwrap();
        let id = recorded.quarantine_id.expect("quarantine id");
        assert!(store.delete_quarantine(&id, "bob@example.net").await.unwrap(), "{backend}");
        assert!(!store.delete_quarantine(&id, "bob@example.net").await.unwrap(), "{backend}: deleted twice");
        assert!(store.get_quarantine(&id).await.unwrap().is_none(), "{backend}");
        let log = store.get_log(recorded.log_id).await.unwrap().expect("log row");
        assert_eq!(log.delivery.as_deref(), Some("deleted from the quarantine by bob@example.net"), "{backend}");
        assert_eq!(log.quarantine_id, None, "{backend}");
        assert!(store.message_raw(recorded.message_id.as_deref().unwrap()).await.unwrap().is_some(), "{backend}: kept for training");
        assert_eq!(store.release_quarantine(&id, "admin", &[route()], 5).await.unwrap(), Released::NotFound, "{backend}");

        let released = store
            .record_message(entry(Action::Quarantine, MainClass::Spam, Subclass::Gtube), Some(b"spam".to_vec().into()), vec![])
            .await
            .unwrap()
            .quarantine_id
            .unwrap();
        store.release_quarantine(&released, "admin", &[route()], 5).await.unwrap();
        assert!(!store.delete_quarantine(&released, "admin").await.unwrap(), "{backend}: a released message deleted");
    }
}

#[tokio::test]
async fn the_auth_log_keeps_lockouts_newest_first_and_queue_entries_their_outgoing_mark() {
    for (backend, store, _dir) in stores().await {
        for (at, username) in [(1_000, "alice@example.test"), (2_000, "bob@example.test")] {
            let event = NewAuthEvent { node: "n1", client_ip: "192.0.2.7", username, event: "lockout", scope: "user", detail: "5 failed" };
            store.log_auth_event(&event, at).await.unwrap();
        }
        let rows = store.auth_events(10).await.unwrap();
        let names: Vec<&str> = rows.iter().map(|row| row.username.as_str()).collect();
        assert_eq!(names, ["bob@example.test", "alice@example.test"], "{backend}");
        assert_eq!((rows[0].at_ms, rows[0].scope.as_str(), rows[0].client_ip.as_str()), (2_000, "user", "192.0.2.7"), "{backend}");
        assert_eq!(store.auth_events(1).await.unwrap().len(), 1, "{backend}");

        let outgoing = NewQueueEntry { outgoing: true, ..route() };
        store.enqueue(b"Subject: out\r\n\r\nx\r\n", &outgoing, 10).await.unwrap();
        store.enqueue(b"Subject: in\r\n\r\nx\r\n", &route(), 10).await.unwrap();
        let claimed = store.claim_due("n1", 20, 1000, 10).await.unwrap();
        let mut marks: Vec<bool> = claimed.iter().map(|entry| entry.outgoing).collect();
        marks.sort();
        assert_eq!(marks, [false, true], "{backend}");
    }
}

#[tokio::test]
async fn fingerprint_rows_are_applied_in_order_and_bounded() {
    for (backend, store, _dir) in stores().await {
        let first = store.append_fingerprints("node-a", true, b"one", 1_000).await.unwrap();
        let second = store.append_fingerprints("node-b", false, b"two", 2_000).await.unwrap();
        let third = store.append_fingerprints("node-a", true, b"three", 3_000).await.unwrap();
        assert!(first < second && second < third, "{backend}");
        let rows = store.fingerprints_after(0, 0, 10).await.unwrap();
        assert_eq!(rows.len(), 3, "{backend}");
        assert_eq!(
            rows[1],
            FingerprintRow { id: second, created_at_ms: 2_000, learn: false, fingerprints: b"two".to_vec() },
            "{backend}"
        );
        assert_eq!(store.fingerprints_after(first, 0, 1).await.unwrap()[0].id, second, "{backend}");
        assert_eq!(store.fingerprints_after(0, 2_500, 10).await.unwrap()[0].id, third, "{backend}: past the retention");
        // The oldest by age, then beyond the newest two.
        assert_eq!(store.expire_fingerprints(1_500, 10).await.unwrap(), 1, "{backend}");
        store.append_fingerprints("node-a", true, b"four", 4_000).await.unwrap();
        assert_eq!(store.expire_fingerprints(0, 2).await.unwrap(), 1, "{backend}");
        let left: Vec<Vec<u8>> = store.fingerprints_after(0, 0, 10).await.unwrap().into_iter().map(|row| row.fingerprints).collect();
        assert_eq!(left, [b"three".to_vec(), b"four".to_vec()], "{backend}");
    }
}

#[tokio::test]
async fn dashboard_counts_per_bucket_within_the_audience() {
    for (backend, store, _dir) in stores().await {
        let hour = 3_600_000;
        for (recipient, at, main, sub) in [
            ("bob@example.net", 0, MainClass::Spam, Subclass::Gtube),
            ("bob@example.net", 10, MainClass::Spam, Subclass::Gtube),
            ("carol@example.com", hour + 5, MainClass::NotSpam, Subclass::Combined),
            ("carol@example.com", 3 * hour, MainClass::NotSpam, Subclass::Combined),
        ] {
            store.log_event(&addressed("a@example.org", &[recipient], "s", at, Action::Deliver, main, sub)).await.unwrap();
        }
        let everything = store.dashboard(&Audience::Everything, 0, hour, 3).await.unwrap();
        let mut buckets = everything.buckets.clone();
        buckets.sort();
        assert_eq!(buckets, [(0, MainClass::Spam.as_str().to_owned(), 2), (1, MainClass::NotSpam.as_str().to_owned(), 1)], "{backend}: the 4th row is past the range");
        assert_eq!(everything.top_senders, [("a@example.org".to_owned(), 3)], "{backend}");
        assert_eq!(everything.top_subclasses[0], (Subclass::Gtube.as_str().to_owned(), 2), "{backend}");
        assert_eq!(everything.sampled, 3, "{backend}");
        let com = store.dashboard(&Audience::Domains(vec!["example.com".to_owned()]), 0, hour, 3).await.unwrap();
        assert_eq!(com.buckets, [(1, MainClass::NotSpam.as_str().to_owned(), 1)], "{backend}");
        assert_eq!(com.top_recipients, [("[\"carol@example.com\"]".to_owned(), 1)], "{backend}");
        assert_eq!(com.quarantined, 0, "{backend}");
        // Two recipients of one domain count once; the domain follows the last `@`.
        let two = addressed("a@example.org", &["\"x@y\"@Example.COM", "z@example.com"], "s", 2 * hour, Action::Deliver, MainClass::Spam, Subclass::Gtube);
        store.log_event(&two).await.unwrap();
        let com = store.dashboard(&Audience::Domains(vec!["example.com".to_owned()]), 0, hour, 3).await.unwrap();
        let mut buckets = com.buckets.clone();
        buckets.sort();
        assert_eq!(buckets, [(1, MainClass::NotSpam.as_str().to_owned(), 1), (2, MainClass::Spam.as_str().to_owned(), 1)], "{backend}");
    }
}

/// A mailbox user's rows come from `log_recipients` (migration 0020): a row
/// with two recipients is found by each, whatever their case, and the
/// dashboard counts what the row check ([`Audience::sees`]) sees.
#[tokio::test]
async fn a_mailbox_finds_its_rows_through_the_recipients_table() {
    for (backend, store, _dir) in stores().await {
        let hour = 3_600_000;
        let rows = [
            addressed("a@example.org", &["Bob@Example.NET", "CAROL@example.com"], "two", 10, Action::Deliver, MainClass::Spam, Subclass::Gtube),
            addressed("b@example.org", &["bob@example.net", "bob@EXAMPLE.net"], "twice", hour + 1, Action::Deliver, MainClass::NotSpam, Subclass::Combined),
            addressed("c@example.org", &["carol@example.com"], "one", 2 * hour, Action::Deliver, MainClass::NotSpam, Subclass::Combined),
            addressed("d@example.org", &["xbob@example.net", "bob@example.net.evil.test"], "lookalikes", 2 * hour, Action::Deliver, MainClass::Spam, Subclass::Gtube),
        ];
        let mut ids = Vec::new();
        for row in &rows {
            ids.push(store.log_event(row).await.unwrap());
        }
        let outgoing = LogEntry { direction: Direction::Outgoing, ..rows[0].clone() };
        store.log_event(&outgoing).await.unwrap();
        for (address, expected) in [("bob@example.net", vec![ids[1], ids[0]]), ("carol@example.com", vec![ids[2], ids[0]])] {
            for spelled in [address.to_owned(), address.to_ascii_uppercase()] {
                let audience = Audience::Mailbox(spelled.to_ascii_lowercase());
                let found: Vec<i64> = store.search_logs(&LogSearch::new(audience.clone(), 100)).await.unwrap().into_iter().map(|row| row.id).collect();
                assert_eq!(found, expected, "{backend}: {spelled}");
                let mut counted: Vec<(i64, String, i64)> = Vec::new();
                for row in rows.iter().filter(|row| audience.sees(&row.recipients)) {
                    let bucket = (row.received_at_ms / hour, row.main_class.as_str().to_owned());
                    match counted.iter_mut().find(|(index, class, _)| (*index, class.clone()) == bucket) {
                        Some(entry) => entry.2 += 1,
                        None => counted.push((bucket.0, bucket.1, 1)),
                    }
                }
                counted.sort();
                let dashboard = store.dashboard(&audience, 0, hour, 3).await.unwrap();
                let mut buckets = dashboard.buckets.clone();
                buckets.sort();
                assert_eq!(buckets, counted, "{backend}: {spelled}: each row once, outgoing rows not at all");
                assert_eq!(dashboard.sampled, expected.len() as i64, "{backend}: {spelled}");
            }
        }
        // The sender's trigram index finds what the substring search finds.
        let by_sender = |text: &str| {
            let store = store.clone();
            let search = LogSearch { sender: text.to_owned(), ..LogSearch::new(Audience::Everything, 100) };
            async move { store.search_logs(&search).await.unwrap().into_iter().map(|row| row.id).collect::<Vec<_>>() }
        };
        assert_eq!(by_sender("B@EXAMPLE.").await, [ids[1]], "{backend}");
        assert_eq!(by_sender("c@").await, [ids[2]], "{backend}: under 3 characters");
        assert_eq!(by_sender("\"xy").await, Vec::<i64>::new(), "{backend}");
    }
}

/// sqlx 0.9's `Any` declares a NULL `f64` as PostgreSQL `float4`; a statement
/// first prepared with a NULL score then refused every real score on that
/// connection ("incorrect binary data format in bind parameter 13").
#[tokio::test]
async fn a_missing_score_does_not_break_the_next_scored_row() {
    for (backend, store, _dir) in stores().await {
        for round in 0..6 {
            let mut unscored = entry(Action::Deliver, MainClass::NotSpam, Subclass::Combined);
            unscored.score = None;
            store.log_event(&unscored).await.unwrap_or_else(|error| panic!("{backend} round {round}: {error}"));
            let mut scored = unscored.clone();
            scored.score = Some(0.123_456_789_012_345_6);
            let id = store.log_event(&scored).await.unwrap_or_else(|error| panic!("{backend} round {round}: {error}"));
            assert_eq!(store.get_log(id).await.unwrap().unwrap().entry.score, scored.score, "{backend}: the score kept exactly");
        }
    }
}

/// The log retention deletes old rows in batches, oldest first, and
/// what is derived from the log (the dashboard's hourly counts, a mailbox's
/// `log_recipients`, the subject and sender indexes, delivery attempts) keeps
/// describing exactly the rows that remain.
#[tokio::test]
async fn log_retention_deletes_old_rows_in_batches_and_the_counts_follow() {
    for (backend, store, _dir) in stores().await {
        let hour = 3_600_000;
        let base = 472_222 * hour;
        let incoming = |recipient: &str, subject: &str, at_ms: i64, main: MainClass| {
            addressed("zed@example.org", &[recipient], subject, at_ms, Action::Deliver, main, Subclass::Combined)
        };
        // Old: three rows in the two hours before `base`, one of them delivered
        // (with an attempt) and one outgoing; new: two from `base` on.
        let mut delivered = incoming("bob@example.net", "old zebra", base - 2 * hour + 60_000, MainClass::NotSpam);
        delivered.sender = "old@example.org".to_owned();
        let recorded = store.record_message(delivered, Some(b"raw".to_vec().into()), vec![route()]).await.unwrap();
        let claimed = store.claim_due("node-a", i64::MAX / 2, 1, 10).await.unwrap();
        store.finish(&claimed[0], "delivered").await.unwrap();
        store.log_event(&incoming("carol@example.com", "old quagga", base - hour + 5 * 60_000, MainClass::Spam)).await.unwrap();
        let outgoing = LogEntry { direction: Direction::Outgoing, ..incoming("friend@example.org", "sent", base - hour + 50 * 60_000, MainClass::NotSpam) };
        store.log_event(&outgoing).await.unwrap();
        let new_ids = [
            store.log_event(&incoming("bob@example.net", "new zebra", base + 10 * 60_000, MainClass::NotSpam)).await.unwrap(),
            store.log_event(&incoming("carol@example.com", "new quagga", base + 2 * hour, MainClass::Spam)).await.unwrap(),
        ];

        // Before `base + 30 min`, cut to `base`: one row per batch, oldest first.
        let before = base + 30 * 60_000;
        assert_eq!(store.purge_log(before, 1).await.unwrap(), 1, "{backend}");
        assert!(store.get_log(recorded.log_id).await.unwrap().is_none(), "{backend}: the oldest goes first");
        assert!(store.delivery_attempts(recorded.log_id).await.unwrap().is_empty(), "{backend}: its delivery attempts with it");
        let admin = store.dashboard(&Audience::Everything, base - 2 * hour, hour, 5).await.unwrap();
        assert_eq!(
            admin.buckets.iter().map(|(_, _, count)| count).sum::<i64>(),
            3,
            "{backend}: the counts follow each batch: {:?}",
            admin.buckets
        );
        assert_eq!(store.purge_log(before, 5).await.unwrap(), 2, "{backend}: the rest, fewer than a batch");
        assert_eq!(store.purge_log(before, 5).await.unwrap(), 0, "{backend}: nothing left before the cut");
        let left: Vec<i64> = store.list_logs(10).await.unwrap().iter().map(|row| row.id).collect();
        assert_eq!(left, [new_ids[1], new_ids[0]], "{backend}: the row after the hour's start stays");

        // The dashboard counts what remains: for the administrator, a domain
        // administrator and a mailbox.
        let mut counted = store.dashboard(&Audience::Everything, base - 2 * hour, hour, 5).await.unwrap().buckets;
        counted.sort();
        let (ham, spam) = (MainClass::NotSpam.as_str().to_owned(), MainClass::Spam.as_str().to_owned());
        assert_eq!(counted, [(2, ham.clone(), 1), (4, spam.clone(), 1)], "{backend}");
        let com = store.dashboard(&Audience::Domains(vec!["example.com".to_owned()]), base - 2 * hour, hour, 5).await.unwrap();
        assert_eq!(com.buckets, [(4, spam, 1)], "{backend}");
        let bob = Audience::Mailbox("bob@example.net".to_owned());
        assert_eq!(store.dashboard(&bob, base - 2 * hour, hour, 5).await.unwrap().buckets, [(2, ham, 1)], "{backend}");
        let found: Vec<i64> = store.search_logs(&LogSearch::new(bob, 10)).await.unwrap().iter().map(|row| row.id).collect();
        assert_eq!(found, [new_ids[0]], "{backend}: log_recipients");
        for (table, column, bound) in
            [("log_counts", "hour", base / hour), ("log_domain_counts", "hour", base / hour), ("delivery_attempts", "log_id", recorded.log_id + 1)]
        {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} < $1");
            let count: i64 = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(bound).fetch_one(&store.pool).await.unwrap().try_get(0).unwrap();
            assert_eq!(count, 0, "{backend}: {table} of deleted rows");
        }
        // The trigram indexes forget the deleted rows (SQLite's FTS5 tables hold
        // their own rows; PostgreSQL's index is on the log itself).
        let by_subject = |text: &str| {
            let search = LogSearch { subject: text.to_owned(), ..LogSearch::new(Audience::Everything, 10) };
            let store = store.clone();
            async move { store.search_logs(&search).await.unwrap().iter().map(|row| row.id).collect::<Vec<_>>() }
        };
        assert_eq!(by_subject("zebra").await, [new_ids[0]], "{backend}");
        if store.sqlite_writer.is_some() {
            for (table, text) in [("log_subject_search", "old"), ("log_sender_search", "zed@")] {
                let sql = format!("SELECT COUNT(*) FROM {table} WHERE {table} MATCH $1");
                let count: i64 = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(format!("\"{text}\"")).fetch_one(&store.pool).await.unwrap().try_get(0).unwrap();
                assert_eq!(count, if text == "old" { 0 } else { 2 }, "{backend}: {table}");
            }
        }
    }
}

/// Outgoing mail in the quarantine is seen by its sender's audience
/// (the mailbox that sent it, its domain's administrators), not by its
/// recipients', in the search, the dashboard's count and `sees_quarantined`.
#[tokio::test]
async fn outgoing_quarantined_mail_is_seen_by_its_sender() {
    for (backend, store, _dir) in stores().await {
        let held = |sender: &str, recipient: &str, subject: &str, direction: Direction| LogEntry {
            direction,
            ..addressed(sender, &[recipient], subject, 1_000, Action::Quarantine, MainClass::Spam, Subclass::Gtube)
        };
        for logged in [
            held("Bob@Example.NET", "friend@example.org", "bob sent", Direction::Outgoing),
            held("carol@example.com", "bob@example.net", "carol sent to bob", Direction::Outgoing),
            held("spam@bad.test", "bob@example.net", "bob received", Direction::Incoming),
        ] {
            store.record_message(logged, Some(b"raw".to_vec().into()), vec![]).await.unwrap();
        }
        let audiences = [
            (Audience::Everything, vec!["bob received", "bob sent", "carol sent to bob"]),
            (Audience::Mailbox("bob@example.net".to_owned()), vec!["bob received", "bob sent"]),
            (Audience::Mailbox("carol@example.com".to_owned()), vec!["carol sent to bob"]),
            (Audience::Domains(vec!["example.com".to_owned()]), vec!["carol sent to bob"]),
            (Audience::Domains(vec!["example.net".to_owned()]), vec!["bob received", "bob sent"]),
            (Audience::Mailbox("friend@example.org".to_owned()), vec![]),
            (Audience::Domains(Vec::new()), vec![]),
        ];
        let all = store.list_quarantine(10).await.unwrap();
        for (audience, expected) in audiences {
            let search = QuarantineSearch {
                sender: String::new(),
                recipient: String::new(),
                subject: String::new(),
                after: None,
                limit: 100,
                audience: audience.clone(),
            };
            let mut found: Vec<String> = store.search_quarantine(&search).await.unwrap().into_iter().map(|row| row.subject).collect();
            found.sort();
            assert_eq!(found, expected, "{backend}: {audience:?}");
            let mut seen: Vec<String> = all.iter().filter(|row| audience.sees_quarantined(row)).map(|row| row.subject.clone()).collect();
            seen.sort();
            assert_eq!(seen, expected, "{backend}: {audience:?}: sees_quarantined agrees with the SQL");
            let dashboard = store.dashboard(&audience, 0, 3_600_000, 1).await.unwrap();
            assert_eq!(dashboard.quarantined, expected.len() as i64, "{backend}: {audience:?}");
        }
        let directions: Vec<(String, Direction)> = all.iter().map(|row| (row.subject.clone(), row.direction)).collect();
        assert!(directions.contains(&("bob sent".to_owned(), Direction::Outgoing)), "{backend}: {directions:?}");
        assert!(directions.contains(&("bob received".to_owned(), Direction::Incoming)), "{backend}: {directions:?}");
    }
}

/// A text no index serves (here a 2-character subject) examines at
/// most `scan_rows` rows per page and says where to go on; the pages together
/// find every match; a time range ends the walk where its rows end.
#[tokio::test]
async fn an_unindexed_search_examines_a_bounded_number_of_rows_per_page() {
    for (backend, store, _dir) in stores().await {
        let mut ids = Vec::new();
        for index in 0..10_i64 {
            let subject = if index == 1 || index == 8 { "has zq inside" } else { "plain" };
            let logged = addressed("a@example.org", &["bob@example.net"], subject, 1_000 * (index + 1), Action::Deliver, MainClass::NotSpam, Subclass::Combined);
            ids.push(store.log_event(&logged).await.unwrap());
        }
        let search = LogSearch { subject: "ZQ".to_owned(), scan_rows: 4, ..LogSearch::new(Audience::Everything, 50) };
        let first = store.search_logs_page(&search).await.unwrap();
        let found: Vec<i64> = first.rows.iter().map(|row| row.id).collect();
        assert_eq!(found, [ids[8]], "{backend}: the newest 4 rows only");
        assert_eq!(first.examined_down_to, Some(ids[6]), "{backend}");
        let second = store.search_logs_page(&LogSearch { before_id: first.examined_down_to, ..search.clone() }).await.unwrap();
        assert!(second.rows.is_empty(), "{backend}");
        assert_eq!(second.examined_down_to, Some(ids[2]), "{backend}");
        let third = store.search_logs_page(&LogSearch { before_id: second.examined_down_to, ..search.clone() }).await.unwrap();
        assert_eq!(third.rows.iter().map(|row| row.id).collect::<Vec<_>>(), [ids[1]], "{backend}");
        assert_eq!(third.examined_down_to, None, "{backend}: the oldest row examined");
        // A full page goes on as usual (the caller's next page after its last row).
        let full = store.search_logs_page(&LogSearch { limit: 1, scan_rows: 100, ..search.clone() }).await.unwrap();
        assert_eq!((full.rows.len(), full.examined_down_to), (1, None), "{backend}");
        // A time range: the walk starts at its end and stops at its start.
        let ranged = LogSearch { until_ms: Some(5_500), from_ms: Some(2_500), ..search.clone() };
        let page = store.search_logs_page(&ranged).await.unwrap();
        assert!(page.rows.is_empty(), "{backend}");
        assert_eq!(page.examined_down_to, None, "{backend}: rows 3 to 5 of the range, all examined");
        let wide = LogSearch { until_ms: Some(9_500), from_ms: Some(1_000), ..search.clone() };
        let page = store.search_logs_page(&wide).await.unwrap();
        assert_eq!(page.rows.iter().map(|row| row.id).collect::<Vec<_>>(), [ids[8]], "{backend}");
        assert_eq!(page.examined_down_to, Some(ids[5]), "{backend}: rows 9 to 6 examined, older ones in the range left");
        // An indexed text (3 characters or more) is not bounded.
        let indexed = store.search_logs_page(&LogSearch { subject: "zq i".to_owned(), ..search.clone() }).await.unwrap();
        assert_eq!((indexed.rows.len(), indexed.examined_down_to), (2, None), "{backend}");
    }
}

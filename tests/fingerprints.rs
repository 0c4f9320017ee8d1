//! Collaborative fingerprints end to end (issue 19): a message reported as spam
//! through the API is refused when it comes again to someone else, from someone
//! else, under another Subject (`match-set1`) or with a few words changed
//! (`match-set2`); a release un-learns it; a second node agrees at once; a
//! contact address or enough URLs and phone numbers of reported spam
//! (`contact-box`, `heuristic`) are recognised in otherwise new mail.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{Sink, Sluice, free_port, wait_for};

/// An offer that reads like business mail, so the statistical classifiers let the
/// first copy through and what decides later is the report.
const OFFER: &str = "Good morning,\r\n\r\n\
    our company supplies office furniture to firms in your region and we would like to \
    offer you our spring catalogue with new desks, chairs and shelving systems.\r\n\
    Orders placed before the end of the month are delivered free of charge and \
    assembled by our own team at a time that suits you.\r\n\
    Our sales office answers every question about sizes, colours and delivery dates, \
    and we are glad to prepare a quotation for your whole floor.\r\n\r\n\
    Kind regards,\r\nThe sales team\r\n";

fn mail(from: &str, to: &str, subject: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\
         Message-ID: <{}@sender.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n{extra_headers}\r\n{body}",
        free_port()
    )
    .into_bytes()
}

/// Sends one message; returns its reply code and its log row.
fn send(sluice: &Sluice, from: &str, to: &str, raw: &[u8]) -> (i64, Value) {
    let results = sluice.send(from, &[to], &[raw]);
    let code = results[0]["code"].as_i64().unwrap();
    (code, sluice.logs()[0].clone())
}

fn classes(row: &Value) -> (String, String, String) {
    let text = |key: &str| row[key].as_str().unwrap_or_default().to_owned();
    (text("main_class"), text("sub_class"), text("extra_class"))
}

fn report_as_spam(sluice: &Sluice, row: &Value) {
    let (status, body) = sluice.api_post(&format!("/api/v1/logs/{}/report", row["id"]), r#"{"as": "spam"}"#);
    assert_eq!(status, 200, "{body}");
}

/// Sends `raw` and reports it as spam; it must have been delivered first.
fn deliver_and_report(sluice: &Sluice, from: &str, to: &str, raw: &[u8]) {
    let (code, row) = send(sluice, from, to, raw);
    assert_eq!(code, 250, "the first copy is delivered: {row}");
    report_as_spam(sluice, &row);
}

#[test]
fn a_reported_spam_is_refused_again_by_body_and_by_likeness_and_a_release_unlearns_it() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    let first = mail("Sales <sales@furniture.example>", "bob@example.net", "Spring catalogue", "", OFFER);
    deliver_and_report(&sluice, "sales@furniture.example", "bob@example.net", &first);

    // Another sender, recipient and Subject, the same body.
    let copy = mail("Offers <news@other.example>", "carol@example.net", "Your quotation", "", OFFER);
    let (code, row) = send(&sluice, "news@other.example", "carol@example.net", &copy);
    assert_eq!(code, 550, "{row}");
    assert_eq!(classes(&row), ("spam".into(), "match-set1".into(), "1.0".into()), "{row}");
    assert!(row["reply"].as_str().unwrap().starts_with("550 5.7.1"), "{row}");
    let quarantined = row["quarantine_id"].as_str().expect("kept in the quarantine").to_owned();

    // A few words changed: no longer the same digest, still much alike.
    let changed = OFFER.replace("spring", "summer").replace("desks", "tables").replace("quotation", "proposal");
    let near = mail("Offers <news@third.example>", "dave@example.net", "Catalogue", "", &changed);
    let (code, row) = send(&sluice, "news@third.example", "dave@example.net", &near);
    assert_eq!(code, 550, "{row}");
    let (main, sub, extra) = classes(&row);
    assert_eq!((main.as_str(), sub.as_str()), ("spam", "match-set2"), "{row}");
    let similarity: f64 = extra.parse().unwrap();
    assert!(similarity > 0.0 && similarity < 1.0, "{extra}");

    // The admin releases the copy: what it matched is forgotten on the spot.
    let (status, body) = sluice.api("POST", &format!("/api/v1/quarantine/{quarantined}/release"));
    assert_eq!(status, 200, "{body}");
    let again = mail("Offers <news@fourth.example>", "erin@example.net", "Catalogue again", "", OFFER);
    let (code, row) = send(&sluice, "news@fourth.example", "erin@example.net", &again);
    assert_eq!(code, 250, "after the release the next copy is delivered: {row}");
    assert_ne!(classes(&row).1, "match-set1", "{row}");
    wait_for("the released copy and the last one delivered", Duration::from_secs(20), || sink.messages().len() >= 3);
}

#[test]
fn contact_addresses_of_reported_spam_are_recognised_in_new_mail() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    let body = "Hello,\r\n\r\nwe are looking for people who can work from home for a few hours a week.\r\n\
        The work is simple and the pay is good; all you need is a computer and some spare time.\r\n\
        Send your details to jobs@hiring-desk.example and we will reply within a day.\r\n\r\nBest wishes\r\n";
    let first = mail("Recruiter <team@agency.example>", "bob@example.net", "Work from home", "Reply-To: <desk@example.net>\r\n", body);
    deliver_and_report(&sluice, "team@agency.example", "bob@example.net", &first);

    let other = "Dear colleague,\r\n\r\nplease find the requested brochure about our seminars next month.\r\n\
        Questions about the programme go to jobs@hiring-desk.example as usual.\r\n\r\nRegards\r\n";
    let (code, row) = send(&sluice, "info@seminars.example", "carol@example.net", &mail("info@seminars.example", "carol@example.net", "Seminars", "", other));
    assert_eq!(code, 550, "{row}");
    assert_eq!(classes(&row), ("spam".into(), "contact-box".into(), "jobs@hiring-desk.example".into()), "{row}");

    // The Reply-To of the reported spam is one of our own mailboxes.
    let third = "Hi,\r\n\r\nthe minutes of the meeting are attached below, comments welcome before Friday.\r\n\
        The next meeting is on the twelfth in the usual room.\r\n";
    let raw = mail("someone@partner.example", "dave@example.net", "Minutes", "Reply-To: desk@example.net\r\n", third);
    let (code, row) = send(&sluice, "someone@partner.example", "dave@example.net", &raw);
    assert_eq!(code, 550, "{row}");
    assert_eq!(classes(&row), ("spam".into(), "contact-box-internal".into(), "desk@example.net".into()), "{row}");
}

#[test]
fn urls_and_phone_numbers_of_reported_spam_make_new_mail_heuristic_spam() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    let body = "Hello,\r\n\r\nour new collection of watches has arrived and the prices are lower than ever.\r\n\
        Have a look at https://www.watch-outlet.example/collection or call us on +44 20 7946 0958.\r\n\
        Every watch comes with a two-year guarantee and free shipping.\r\n\r\nThe shop\r\n";
    let first = mail("shop@outlet.example", "bob@example.net", "New collection", "", body);
    deliver_and_report(&sluice, "shop@outlet.example", "bob@example.net", &first);

    let other = "Hi there,\r\n\r\nthe gift you were thinking about for your father is waiting for you.\r\n\
        See http://watch-outlet.example/gifts?ref=42 or phone 020 7946 0958 today.\r\n";
    let raw = mail("gifts@presents.example", "carol@example.net", "Gift idea", "", other);
    let (code, row) = send(&sluice, "gifts@presents.example", "carol@example.net", &raw);
    assert_eq!(code, 550, "{row}");
    let (main, sub, extra) = classes(&row);
    assert_eq!((main.as_str(), sub.as_str()), ("spam", "heuristic"), "{row}");
    assert!(extra.contains("watch-outlet.example=") && extra.contains("tel:2079460958="), "{extra}");

    // One item alone, seen once, is not enough.
    let one = "Hello,\r\n\r\nI saw the watches at watch-outlet.example and wondered whether you know the shop.\r\n\
        Let me know what you think when we meet on Sunday.\r\n";
    let raw = mail("friend@mail.example", "dave@example.net", "Watches", "", one);
    let (code, row) = send(&sluice, "friend@mail.example", "dave@example.net", &raw);
    assert_eq!(code, 250, "{row}");
}

#[test]
fn what_one_node_was_told_the_other_knows_at_once() {
    let Some(nodes) = support::two_nodes() else { return };
    let first = mail("Sales <sales@furniture.example>", "bob@example.net", "Spring catalogue", "", OFFER);
    deliver_and_report(&nodes.a, "sales@furniture.example", "bob@example.net", &first);
    let copy = mail("Offers <news@other.example>", "carol@example.net", "Your quotation", "", OFFER);
    let (code, row) = send(&nodes.b, "news@other.example", "carol@example.net", &copy);
    assert_eq!((code, classes(&row).1.as_str()), (550, "match-set1"), "node B refuses at once: {row}");
}

#[test]
fn a_restarted_node_still_knows_what_was_reported() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let mut sluice = Sluice::start(sink.port, "");
    let first = mail("Sales <sales@furniture.example>", "bob@example.net", "Spring catalogue", "", OFFER);
    deliver_and_report(&sluice, "sales@furniture.example", "bob@example.net", &first);
    sluice.kill();
    sluice.spawn();
    let copy = mail("Offers <news@other.example>", "carol@example.net", "Your quotation", "", OFFER);
    let (code, row) = send(&sluice, "news@other.example", "carol@example.net", &copy);
    assert_eq!((code, classes(&row).1.as_str()), (550, "match-set1"), "{row}");
}

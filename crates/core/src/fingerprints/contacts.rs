//! The contact addresses of a message: where its sender wants answers to go.
//! Those of `Reply-To:` and the e-mail addresses written in the body text; not
//! `From:`, `To:` or `Cc:` (forged or the victim's) nor the envelope's, and not
//! an address of those anywhere (a body that names its own recipient, "this
//! mail was sent to bob@example.net", says nothing about the sender); nor the
//! command addresses of mailing-list software (`majordomo@`, `*-request@`),
//! which list footers name on ham and spam alike.

use mail_parser::Address;

use crate::message::MessageFacts;

/// The most contact addresses taken from one message.
pub const MAX_CONTACTS: usize = 16;

/// The message's contact addresses, lower case, distinct, at most [`MAX_CONTACTS`].
pub fn contact_addresses(facts: &MessageFacts<'_>, texts: &[&str]) -> Vec<String> {
    let mut excluded: Vec<String> = Vec::new();
    excluded.push(facts.envelope.sender.to_ascii_lowercase());
    excluded.extend(facts.envelope.recipients.iter().map(|recipient| recipient.to_ascii_lowercase()));
    let mut contacts: Vec<String> = Vec::new();
    if let Some(message) = &facts.parsed {
        for header in [message.from(), message.to(), message.cc()].into_iter().flatten() {
            collect_addresses(header, &mut excluded);
        }
        if let Some(reply_to) = message.reply_to() {
            let mut found = Vec::new();
            collect_addresses(reply_to, &mut found);
            for address in found {
                push(&mut contacts, &excluded, address);
            }
        }
    }
    for text in texts {
        let bytes = text.as_bytes();
        for at in memchr::memchr_iter(b'@', bytes) {
            if contacts.len() >= MAX_CONTACTS {
                return contacts;
            }
            if let Some(address) = address_in(word_around(text, at)) {
                push(&mut contacts, &excluded, address);
            }
        }
    }
    contacts
}

/// The local parts of mailing-list software's command addresses: an
/// unsubscribe footer names them, on spam and ham that went through the list alike.
const LIST_SOFTWARE: &[&str] = &["majordomo", "listserv", "listproc", "listmaster", "mailman", "ezmlm", "lyris", "sympa"];

fn is_list_software(address: &str) -> bool {
    let local = address.split('@').next().unwrap_or_default();
    LIST_SOFTWARE.contains(&local) || local.ends_with("-request") || local.starts_with("owner-") || local.ends_with("-owner")
}

fn push(contacts: &mut Vec<String>, excluded: &[String], address: String) {
    let fresh = !excluded.contains(&address) && !contacts.contains(&address) && !is_list_software(&address);
    if contacts.len() < MAX_CONTACTS && fresh {
        contacts.push(address);
    }
}

fn collect_addresses(address: &Address<'_>, out: &mut Vec<String>) {
    for addr in address.iter() {
        if let Some(email) = addr.address() {
            out.push(email.to_ascii_lowercase());
        }
    }
}

/// The word around the `@` at `at`: up to white space or a delimiter on each
/// side, at most 320 bytes each way.
fn word_around(text: &str, at: usize) -> &str {
    let bytes = text.as_bytes();
    let delimiter = |b: &u8| b.is_ascii_whitespace() || b"<>()[]\"',;".contains(b);
    let floor = at.saturating_sub(320);
    let start = bytes[floor..at].iter().rposition(delimiter).map_or(floor, |p| floor + p + 1);
    let ceiling = (at + 320).min(bytes.len());
    let end = bytes[at..ceiling].iter().position(delimiter).map_or(ceiling, |p| at + p);
    // Delimiters are ASCII, so these are character boundaries unless the 320
    // bytes cut a character (then there is no address there anyway).
    text.get(start..end).unwrap_or_default()
}

/// `word` as an address (`local@domain.tld`, trailing punctuation cut off),
/// lower case.
fn address_in(word: &str) -> Option<String> {
    // Addresses inside links (`?email=bob@example.net` in a tracking URL) are
    // the recipient's, put there per copy: a word with a URL's marks is skipped.
    if word.contains("://") || word.contains(['?', '=', '&', '/']) {
        return None;
    }
    let word = word.strip_prefix("mailto:").unwrap_or(word).trim_start_matches(':');
    let word = word.trim_end_matches(['.', '!', '?', ':']);
    let (local, domain) = word.split_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b));
    let domain_ok = domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && domain.rsplit('.').next().is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    (local_ok && domain_ok).then(|| word.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Envelope;

    #[test]
    fn reply_to_and_body_addresses_but_not_the_correspondents() {
        let raw = "From: Bank <manager@bank.example>\r\nTo: bob@example.net\r\nReply-To: <Payout@Claims.Example>\r\n\r\n\
            Write to agent.smith@claims.example or mailto:payout@claims.example.\r\n\
            Not http://track.example/c?e=bob@example.org nor <a href=\"http://t.example/?to=eve@example.org\">.\r\n\
            This mail was sent to bob@example.net by manager@bank.example; not a@b or x@y.z1\r\n\
            To unsubscribe send mail to majordomo@lists.example or talk-request@lists.example\r\n";
        let envelope = Envelope { sender: "bounce@bulk.example".into(), recipients: vec!["bob@example.net".into()], ..Envelope::default() };
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        let parts = facts.text_parts();
        let texts = crate::fingerprints::text::prepared(&facts, &parts);
        assert_eq!(contact_addresses(&facts, &texts), ["payout@claims.example", "agent.smith@claims.example"]);
    }
}

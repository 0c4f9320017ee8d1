//! Phishing patterns: tricks that show in the message itself, each reported as
//! `phish` / `pattern` (quarantined, 550 5.7.1 "Phishing attempt detected") with
//! the pattern's name and what matched as evidence (`link-text: shows
//! www.bank.example, goes to evil.example`).
//!
//! One module per pattern, each with one entry point reading [`Content`]:
//! - [`link_text`]: a link whose visible text is a URL or domain other than where
//!   its href goes;
//! - [`lookalike_sender`]: a From display name or address imitating a recipient's
//!   own domain or a `[phishing] protected_domains` entry (homographs and
//!   confusables, edit distance 1, hyphens added or removed, another TLD);
//! - [`password_form`]: an HTML body or attachment with a password form posting
//!   to another domain than the sender's;
//! - [`dangerous_link`]: links through `data:` or `javascript:`, or to a raw IP
//!   address in a message asking for credentials;
//! - [`freemail_reply_to`]: a Reply-To at a free-mail provider while the From is a
//!   business domain.
//!
//! Settings: `[phishing] protected_domains` (global, in the configuration file).
//! The false-positive analysis of each pattern on the ham of the shared corpus is
//! in `docs/phishing.md`.
//!
//! It is a [`Judge`] rather than a content check because it needs configuration
//! beyond the domain settings (the protected domains).

use std::borrow::Cow;

use mail_parser::{Address, MimeHeaders, PartType};
use sluice_model::Finding;

use crate::classify::Judge;
use crate::html::{Anchor, Form, MAX_ANCHORS, MAX_FORMS};
use crate::message::MessageFacts;

pub mod dangerous_link;
pub mod domains;
pub mod freemail_reply_to;
pub mod link_text;
pub mod lookalike_sender;
pub mod password_form;

/// Most MIME entities read for HTML (the structural checks bound the rest).
const MAX_ENTITIES: usize = 200;
/// Most bytes of text read per message for the credential words.
const MAX_TEXT: usize = 256 * 1024;

/// The phishing patterns with their configuration.
pub struct PhishingJudge<'a> {
    /// `[phishing] protected_domains`, lower case.
    pub protected_domains: &'a [String],
}

impl Judge for PhishingJudge<'_> {
    fn judge(&self, facts: &MessageFacts<'_>, findings: &mut Vec<Finding>) {
        judge(facts, self.protected_domains, findings);
    }
}

/// Runs every pattern; each that matches adds one finding.
pub fn judge(facts: &MessageFacts<'_>, protected_domains: &[String], findings: &mut Vec<Finding>) {
    let content = Content::of(facts, protected_domains);
    findings.extend(link_text::check(&content));
    findings.extend(lookalike_sender::check(&content));
    findings.extend(password_form::check(&content));
    findings.extend(dangerous_link::check(&content));
    findings.extend(freemail_reply_to::check(&content));
}

/// What the patterns read, gathered once per message.
#[derive(Debug, Default)]
pub struct Content<'m> {
    /// Links with their visible text, of the HTML body parts (bounded).
    pub links: Vec<Anchor>,
    /// Forms of the HTML body parts (bounded).
    pub forms: Vec<Form>,
    /// Every link and image target of the HTML body parts as written (`href`,
    /// `src`; bounded): a tracking pixel on a bare address is a host too.
    pub targets: Vec<String>,
    /// Forms of HTML attachments (a login page sent as a file).
    pub attached_forms: Vec<Form>,
    /// The decoded text of the text and HTML parts, for the credential words.
    pub text: Cow<'m, str>,
    /// The first From address: display name and address (lower case).
    pub from_name: String,
    pub from_address: String,
    /// The first Reply-To address (lower case).
    pub reply_to: Option<String>,
    /// The domains a From must not imitate: each recipient's own domain and the
    /// configured ones, with whether the domain is configured (a brand).
    pub protected: Vec<(String, Protected)>,
}

impl<'m> Content<'m> {
    pub fn of(facts: &'m MessageFacts<'_>, protected_domains: &[String]) -> Content<'m> {
        let mut content = Content::default();
        let mut protected: Vec<(String, Protected)> = protected_domains.iter().map(|domain| (domain.clone(), Protected::Configured)).collect();
        for recipient in &facts.envelope.recipients {
            let domain = crate::envelope::domain_of(recipient);
            if !domain.is_empty() && !protected.iter().any(|(known, _)| *known == domain) {
                protected.push((domain, Protected::Recipient));
            }
        }
        content.protected = protected;
        let Some(message) = &facts.parsed else {
            return content;
        };
        if let Some(Address::List(list)) = message.from()
            && let Some(first) = list.first()
        {
            content.from_name = first.name().unwrap_or_default().trim().to_owned();
            content.from_address = first.address().unwrap_or_default().trim().to_ascii_lowercase();
        }
        content.reply_to = message
            .reply_to()
            .and_then(|reply_to| reply_to.first())
            .and_then(|address| address.address())
            .map(|address| address.trim().to_ascii_lowercase())
            .filter(|address| !address.is_empty());
        let mut text = String::new();
        for entity in facts.mime_entities(MAX_ENTITIES) {
            let part = entity.part;
            let attachment = part.attachment_name().is_some()
                || part.content_disposition().is_some_and(|disposition| disposition.is_attachment());
            match &part.body {
                PartType::Html(page) => {
                    // Rendered once per message, for every check that reads HTML.
                    let Some(rendered) = facts.rendered_html(page) else {
                        continue;
                    };
                    if attachment {
                        content.attached_forms.extend(rendered.facts.forms.iter().cloned());
                        continue;
                    }
                    let room = MAX_ANCHORS.saturating_sub(content.links.len());
                    content.links.extend(rendered.facts.anchors.iter().take(room).cloned());
                    let room = MAX_FORMS.saturating_sub(content.forms.len());
                    content.forms.extend(rendered.facts.forms.iter().take(room).cloned());
                    let room = MAX_ANCHORS.saturating_sub(content.targets.len());
                    content.targets.extend(rendered.facts.links.iter().take(room).cloned());
                    push_bounded(&mut text, &rendered.text);
                }
                PartType::Text(plain) if !attachment => push_bounded(&mut text, plain),
                _ => {}
            }
        }
        content.text = Cow::Owned(text);
        content
    }
}

/// Why a domain is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protected {
    /// `[phishing] protected_domains`: every look-alike counts, another TLD too.
    Configured,
    /// A recipient's own domain: organisations often mail between their own
    /// names under several TLDs (`example.org` to `example.net`), so the same name
    /// under another TLD does not count here.
    Recipient,
}

/// `%XX` decoded twice over (redirectors nest their destinations), lossy UTF-8.
pub fn decode_percent(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..2 {
        let mut out = Vec::with_capacity(bytes.len());
        let mut index = 0;
        while index < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if bytes[index] == b'%'
                && index + 2 < bytes.len()
                && let (Some(high), Some(low)) = (hex(bytes[index + 1]), hex(bytes[index + 2]))
            {
                out.push((high * 16 + low) as u8);
                index += 3;
                continue;
            }
            out.push(bytes[index]);
            index += 1;
        }
        bytes = out;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn push_bounded(text: &mut String, more: &str) {
    let room = MAX_TEXT.saturating_sub(text.len());
    let mut end = more.len().min(room);
    while !more.is_char_boundary(end) {
        end -= 1;
    }
    text.push_str(&more[..end]);
    text.push('\n');
}

#[cfg(test)]
mod tests;

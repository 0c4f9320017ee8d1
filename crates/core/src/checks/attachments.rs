//! Attachment policy: blocked file name extensions and encrypted attachments.
//!
//! For every MIME part with a file name (Content-Disposition `filename` or
//! Content-Type `name`, RFC 2231 and RFC 2047 decoded) and every part whose content
//! is an archive, reports:
//! - `block-list` / `filename-extension`, extra = the name (with its path through
//!   archives, e.g. `invoice.zip/docs/invoice.pdf.exe`), when the last extension is
//!   in `blocked_extensions`, for the attachment itself or any file inside a zip,
//!   7z, rar, tar or gzip archive up to 3 levels deep (see [`super::archive`] for
//!   the formats and the bounds on decompression);
//! - `block-list` / `password-protected-attachment`, extra = the name, when
//!   `block_encrypted` is set and an archive (or a file in it) is encrypted, or a
//!   PDF has an `/Encrypt` dictionary;
//! - `spam` / `badly-formed`, extra = `archive cannot be inspected: PATH (BOUND)`,
//!   550 5.6.0 "Attachment holds an archive that cannot be inspected", when
//!   `block_uninspectable_archives` is set and an archive inside an attachment is
//!   one the bounds of [`super::archive`] keep shut (deeper than 3 levels, a
//!   decompression bomb): what hides there cannot be vouched for. Structural, so a
//!   blocked name found elsewhere in the message (block list) takes precedence.
//!
//! All are quarantined (an admin may release a false hit).
//! Trailing dots and spaces are dropped before taking the extension, as Windows
//! does (`run.exe.` opens as `run.exe`).
//!
//! Settings: `blocked_extensions` [executable, script, installer, shortcut and
//! disk-image types], `block_encrypted` [false], `block_uninspectable_archives`
//! [true].
//!
//! Why: executables and scripts by mail are how most malware arrives, and
//! archives (often encrypted, with the password in the body) are how it gets past
//! scanners; no business mail needs an `.exe` attached.

use mail_parser::{MimeHeaders, PartType};
use sluice_model::{Finding, MainClass, Reason, Subclass};

use crate::archive::{self, Budget, Entry};
use crate::message::MessageFacts;
use crate::settings::DomainSettings;

pub const NAME: &str = "attachments";

/// Entities looked at; the part-count check refuses messages with more.
const MAX_ENTITIES: usize = 10_000;
/// Names are cut to this many characters in the log.
const MAX_NAME: usize = 200;

pub fn check(facts: &MessageFacts<'_>, settings: &DomainSettings, findings: &mut Vec<Finding>) {
    let mut budget = Budget::default();
    let mut blocked: Option<String> = None;
    let mut encrypted: Option<String> = None;
    let mut uninspectable: Option<String> = None;
    // Once every finding this message can get is known, nothing more to look at.
    let settled = |blocked: &Option<String>, encrypted: &Option<String>, uninspectable: &Option<String>| {
        blocked.is_some()
            && (encrypted.is_some() || !settings.block_encrypted)
            && (uninspectable.is_some() || !settings.block_uninspectable_archives)
    };
    for entity in facts.mime_entities(MAX_ENTITIES) {
        let part = entity.part;
        let content: &[u8] = match &part.body {
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.as_ref(),
            PartType::Text(text) | PartType::Html(text) => text.as_bytes(),
            PartType::Message(_) | PartType::Multipart(_) => continue,
        };
        let name = part.attachment_name().map(str::to_owned);
        if blocked.is_none()
            && let Some(name) = &name
            && is_blocked(name, &settings.blocked_extensions)
        {
            blocked = Some(name.clone());
        }
        if archive::sniff(content).is_some() {
            let path = name.clone().unwrap_or_else(|| "(unnamed archive)".to_owned());
            archive::inspect(&path, content, &mut budget, &mut |entry| {
                match entry {
                    Entry::File(inner) => {
                        if blocked.is_none() && is_blocked(&inner, &settings.blocked_extensions) {
                            blocked = Some(inner);
                        }
                    }
                    Entry::Encrypted(inner) => {
                        if blocked.is_none() && is_blocked(&inner, &settings.blocked_extensions) {
                            blocked = Some(inner.clone());
                        }
                        if encrypted.is_none() {
                            encrypted = Some(inner);
                        }
                    }
                    Entry::Uninspectable(inner, bound) => {
                        if uninspectable.is_none() {
                            uninspectable = Some(format!("archive cannot be inspected: {} ({bound})", cut(inner)));
                        }
                    }
                }
                settled(&blocked, &encrypted, &uninspectable)
            });
        } else if settings.block_encrypted && encrypted.is_none() && is_encrypted_pdf(content) {
            encrypted = Some(name.unwrap_or_else(|| "(unnamed PDF)".to_owned()));
        }
        if settled(&blocked, &encrypted, &uninspectable) {
            break;
        }
    }
    if let Some(name) = blocked {
        findings.push(Finding::new(NAME, MainClass::BlockList, Subclass::FilenameExtension, cut(name)));
    }
    if settings.block_encrypted
        && let Some(name) = encrypted
    {
        findings.push(Finding::new(NAME, MainClass::BlockList, Subclass::PasswordProtectedAttachment, cut(name)));
    }
    if settings.block_uninspectable_archives
        && let Some(evidence) = uninspectable
    {
        findings.push(
            Finding::new(NAME, MainClass::Spam, Subclass::BadlyFormed, evidence)
                .because(Reason::UninspectableArchive),
        );
    }
}

/// Whether the last extension of the last path element of `name` is blocked.
pub fn is_blocked(name: &str, blocked: &[String]) -> bool {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let file = file.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    match file.rsplit_once('.') {
        Some((_, extension)) => blocked.iter().any(|entry| entry.eq_ignore_ascii_case(extension.trim())),
        None => false,
    }
}

/// A PDF with an encryption dictionary in its trailer (or cross-reference stream).
fn is_encrypted_pdf(content: &[u8]) -> bool {
    let head = &content[..content.len().min(1024)];
    memchr::memmem::find(head, b"%PDF-").is_some() && memchr::memmem::find(content, b"/Encrypt").is_some()
}

fn cut(mut name: String) -> String {
    if let Some((at, _)) = name.char_indices().nth(MAX_NAME) {
        name.truncate(at);
        name.push('…');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures;
    use crate::envelope::Envelope;
    use crate::verdict::decide;
    use sluice_model::Action;

    fn defaults() -> Vec<String> {
        DomainSettings::default().blocked_extensions
    }

    #[test]
    fn extensions_as_windows_sees_them() {
        for (name, blocked) in [
            ("invoice.exe", true),
            ("INVOICE.EXE", true),
            ("invoice.pdf.exe", true),
            ("invoice.exe.pdf", false),
            ("run.exe. . ", true),
            ("dir\\sub/x.js", true),
            ("readme", false),
            ("exe", false),
            ("archive.zip", false),
            ("photo.jpg", false),
        ] {
            assert_eq!(is_blocked(name, &defaults()), blocked, "{name}");
        }
    }

    #[test]
    fn fixtures_with_default_settings() {
        fixtures::check_eml_dir("attachments", check, &DomainSettings::default(), 0);
    }

    #[test]
    fn fixtures_with_block_encrypted() {
        let settings = DomainSettings { block_encrypted: true, ..DomainSettings::default() };
        fixtures::check_eml_dir("attachments/encrypted", check, &settings, 0);
    }

    #[test]
    fn blocked_attachments_are_quarantined() {
        let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/octet-stream; name=\"a.scr\"\r\nContent-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.scr\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--b--\r\n";
        let findings = fixtures::run(check, raw, &Envelope::default(), &DomainSettings::default(), 0);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].extra, "résumé.scr");
        let verdict = decide(&findings, &DomainSettings::default());
        assert_eq!((verdict.sub, verdict.action), (Subclass::FilenameExtension, Action::Quarantine));
    }
}

//! What the templates are given: values made safe to show and easy to read.
//! Escaping is askama's (every value, always; nothing is marked safe); this
//! module makes invisible characters visible, so a right-to-left override in a
//! subject cannot disguise it, and formats times.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sluice_model::{ErrorClass, MainClass, Subclass};
use time::OffsetDateTime;
use time::macros::format_description;

use super::tooltips;

/// A class value and what it means.
pub(crate) struct Class {
    pub(crate) name: &'static str,
    pub(crate) tip: &'static str,
}

impl Class {
    pub(crate) fn main(class: MainClass) -> Class {
        Class { name: class.as_str(), tip: tooltips::main_class(class) }
    }

    pub(crate) fn sub(class: Subclass) -> Class {
        Class { name: class.as_str(), tip: tooltips::sub_class(class) }
    }

    pub(crate) fn error(class: ErrorClass) -> Class {
        Class { name: class.as_str(), tip: tooltips::error_class(class) }
    }
}

/// The page's header: who is logged in, which page, the CSRF token for forms.
pub(crate) struct Nav {
    pub(crate) user: String,
    pub(crate) role: &'static str,
    pub(crate) csrf: String,
    pub(crate) page: &'static str,
}

impl Nav {
    pub(crate) fn new(viewer: &super::Viewer, page: &'static str) -> Nav {
        Nav { user: shown(&viewer.user.name), role: viewer.user.role.as_str(), csrf: viewer.csrf.clone(), page }
    }
}

/// `text` with every character that changes how the text around it is shown
/// (bidirectional overrides and isolates, other format and control characters)
/// written as a visible `[U+XXXX]`: hostile subjects use them to make a name
/// or a file extension read backwards.
pub(crate) fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        let code = character as u32;
        let invisible = (character.is_control() && character != '\t')
            || matches!(code, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0x061C | 0xFEFF | 0x00AD);
        if invisible {
            out.push_str(&format!("[U+{code:04X}]"));
        } else {
            out.push(character);
        }
    }
    out
}

/// As [`shown`], keeping line breaks (message text).
pub(crate) fn shown_text(text: &str) -> String {
    text.split('\n').map(|line| shown(line.strip_suffix('\r').unwrap_or(line))).collect::<Vec<_>>().join("\n")
}

/// `YYYY-MM-DD HH:MM:SS`, UTC.
pub(crate) fn time(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|time| time.format(format_description!("[year]-[month]-[day] [hour]:[minute]:[second]")).ok())
        .unwrap_or_default()
}

/// A query-string value, percent-encoded.
pub(crate) fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    text: &'a str,
    back: &'a str,
}

/// A page with a title and one sentence (errors, not found).
pub(crate) fn message(status: StatusCode, title: &str, text: &str, back: &str) -> Response {
    (status, MessagePage { title, text, back }).into_response()
}

/// The store failed: say so without details (they go to the process log).
pub(crate) fn store_failed(error: sluice_store::StoreError) -> Response {
    tracing::error!(%error, "web page failed on the store");
    message(StatusCode::SERVICE_UNAVAILABLE, "Storage unavailable", "The store did not answer; try again shortly.", "/logs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_made_visible() {
        assert_eq!(shown("invoice\u{202E}fdp.exe"), "invoice[U+202E]fdp.exe");
        assert_eq!(shown("a\u{2066}b\u{0007}c\u{200B}"), "a[U+2066]b[U+0007]c[U+200B]");
        assert_eq!(shown("Grüße <b>"), "Grüße <b>", "escaping is the template's job");
        assert_eq!(shown_text("one\r\ntwo\u{202E}"), "one\ntwo[U+202E]");
    }

    #[test]
    fn times_and_query_values() {
        assert_eq!(time(0), "1970-01-01 00:00:00");
        assert_eq!(query_value("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}

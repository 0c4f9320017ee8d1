//! What the phishing patterns read from HTML: the links with their visible text,
//! and the forms with where they post and whether they ask for a password.
//!
//! A small tag scanner, not an HTML parser: it walks `<tag attr=value ...>` in one
//! pass, never backtracks and stops at fixed counts, so hostile HTML costs time
//! linear in its length. It is enough for what the patterns need (`href`,
//! `action`, `type=password`, the text between `<a>` and `</a>`); a page built to
//! hide a link from it hides it from many mail clients too.
//!
//! The URL extractor of the URL block lists (plain-text and `href` URLs) gives
//! URLs only; the link-text pattern needs each link's visible text as well, hence
//! this module.

/// Most links read from one message.
pub const MAX_LINKS: usize = 500;
/// Most forms read from one message.
pub const MAX_FORMS: usize = 50;
/// Visible text kept per link, in characters.
const MAX_LINK_TEXT: usize = 300;

/// One `<a href>` with its visible text (tags removed, entities decoded,
/// whitespace collapsed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub text: String,
}

/// One `<form>`: where it posts (the `action` as written, empty when absent)
/// and whether one of its inputs is a password field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    pub action: String,
    pub asks_password: bool,
}

/// The links and forms of one HTML document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HtmlFacts {
    pub links: Vec<Link>,
    pub forms: Vec<Form>,
}

/// Scans `html`, adding to `facts` up to the limits.
pub fn scan(html: &str, facts: &mut HtmlFacts) {
    let bytes = html.as_bytes();
    let mut position = 0;
    // The link whose text is being read, and where its text started.
    let mut open_link: Option<(String, String)> = None;
    let mut text_start = 0;
    while let Some(offset) = memchr::memchr(b'<', &bytes[position..]) {
        let tag_start = position + offset;
        if let Some((_, text)) = &mut open_link {
            push_text(text, &html[text_start..tag_start]);
        }
        // Comments are skipped whole: a link inside one is not shown.
        if bytes[tag_start..].starts_with(b"<!--") {
            position = memchr::memmem::find(&bytes[tag_start + 4..], b"-->").map_or(bytes.len(), |end| tag_start + 4 + end + 3);
            text_start = position;
            continue;
        }
        let tag_end = find_tag_end(bytes, tag_start + 1);
        let tag = &html[tag_start + 1..tag_end.min(bytes.len())];
        position = (tag_end + 1).min(bytes.len());
        text_start = position;
        let (name, attributes) = split_tag(tag);
        match name.as_str() {
            "a" => {
                if let Some((href, text)) = open_link.take() {
                    push_link(facts, href, text);
                }
                if let Some(href) = attribute(attributes, "href") {
                    open_link = Some((href, String::new()));
                }
            }
            "/a" => {
                if let Some((href, text)) = open_link.take() {
                    push_link(facts, href, text);
                }
            }
            "form" if facts.forms.len() < MAX_FORMS => facts.forms.push(Form {
                action: attribute(attributes, "action").unwrap_or_default(),
                asks_password: false,
            }),
            "input" => {
                let password = attribute(attributes, "type").is_some_and(|kind| kind.eq_ignore_ascii_case("password"));
                if password {
                    match facts.forms.last_mut() {
                        Some(form) => form.asks_password = true,
                        // A password field outside any form still asks for one.
                        None => facts.forms.push(Form { action: String::new(), asks_password: true }),
                    }
                }
            }
            "script" | "style" => {
                // Their contents are not text and hold no tags to read.
                let close = if name == "script" { "</script" } else { "</style" };
                position = find_ignore_case(bytes, position, close.as_bytes()).unwrap_or(bytes.len());
                text_start = position;
            }
            _ => {}
        }
        if facts.links.len() >= MAX_LINKS {
            return;
        }
    }
    if let Some((href, mut text)) = open_link.take() {
        push_text(&mut text, &html[text_start.min(html.len())..]);
        push_link(facts, href, text);
    }
}

fn push_link(facts: &mut HtmlFacts, href: String, text: String) {
    if facts.links.len() < MAX_LINKS {
        facts.links.push(Link { href, text: text.trim().to_owned() });
    }
}

/// Appends visible text, entities decoded and whitespace collapsed, up to the cap.
fn push_text(text: &mut String, raw: &str) {
    if text.chars().count() >= MAX_LINK_TEXT {
        return;
    }
    for word in decode_entities(raw).split_whitespace() {
        if !text.is_empty() && !text.ends_with(' ') {
            text.push(' ');
        }
        text.push_str(word);
        if text.len() >= MAX_LINK_TEXT * 4 {
            break;
        }
    }
    if raw.ends_with(char::is_whitespace) && !text.is_empty() {
        text.push(' ');
    }
}

/// The end of a tag: the `>` outside quotes (or the end of the input).
fn find_tag_end(bytes: &[u8], mut index: usize) -> usize {
    let mut quote: Option<u8> = None;
    while index < bytes.len() {
        let byte = bytes[index];
        match quote {
            Some(open) if byte == open => quote = None,
            Some(_) => {}
            None if byte == b'"' || byte == b'\'' => quote = Some(byte),
            None if byte == b'>' => return index,
            None => {}
        }
        index += 1;
    }
    bytes.len()
}

fn find_ignore_case(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let haystack = bytes.get(from..)?;
    haystack.windows(needle.len()).position(|window| window.eq_ignore_ascii_case(needle)).map(|at| from + at)
}

/// The tag's lower-case name (`a`, `/a`) and the rest.
fn split_tag(tag: &str) -> (String, &str) {
    let tag = tag.trim_start();
    let end = tag.find(|c: char| c.is_ascii_whitespace() || c == '>').unwrap_or(tag.len());
    let name = tag[..end].trim_end_matches('/');
    (name.to_ascii_lowercase(), &tag[end..])
}

/// The value of attribute `name` (entities decoded, trimmed).
fn attribute(attributes: &str, name: &str) -> Option<String> {
    let bytes = attributes.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        while index < bytes.len() && (bytes[index].is_ascii_whitespace() || bytes[index] == b'/') {
            index += 1;
        }
        let name_start = index;
        while index < bytes.len() && !bytes[index].is_ascii_whitespace() && bytes[index] != b'=' {
            index += 1;
        }
        let this = &attributes[name_start..index];
        while index < bytes.len() && bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        let mut value = "";
        if index < bytes.len() && bytes[index] == b'=' {
            index += 1;
            while index < bytes.len() && bytes[index].is_ascii_whitespace() {
                index += 1;
            }
            if index < bytes.len() && (bytes[index] == b'"' || bytes[index] == b'\'') {
                let quote = bytes[index];
                let start = index + 1;
                let end = memchr::memchr(quote, &bytes[start..]).map_or(bytes.len(), |end| start + end);
                value = &attributes[start..end];
                index = end + 1;
            } else {
                let start = index;
                while index < bytes.len() && !bytes[index].is_ascii_whitespace() {
                    index += 1;
                }
                value = &attributes[start..index];
            }
        }
        if this.eq_ignore_ascii_case(name) {
            return Some(decode_entities(value).trim().to_owned());
        }
        if index == name_start {
            index += 1;
        }
    }
    None
}

/// Decodes the entities that hide characters of URLs and domains: `&amp;`,
/// `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;` and numeric ones.
pub fn decode_entities(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('&') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..].find(';').map(|end| end + 1).filter(|&end| end <= 10);
        let decoded = end.and_then(|end| {
            let entity = &rest[1..end];
            let character = match entity.to_ascii_lowercase().as_str() {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                numeric if numeric.starts_with("#x") => u32::from_str_radix(&numeric[2..], 16).ok().and_then(char::from_u32),
                numeric if numeric.starts_with('#') => numeric[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            }?;
            Some((character, end))
        });
        match decoded {
            Some((character, end)) => {
                out.push(character);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(html: &str) -> HtmlFacts {
        let mut facts = HtmlFacts::default();
        scan(html, &mut facts);
        facts
    }

    #[test]
    fn links_keep_their_visible_text() {
        let found = facts(
            "<p>Hi <A HREF=\"https://evil.example/x?a=1&amp;b=2\" class=x><b>www.bank.example</b>\n</a> and \
             <a href='http://ok.example/'>click   here</a><a href=x.html>unclosed",
        );
        assert_eq!(
            found.links,
            [
                Link { href: "https://evil.example/x?a=1&b=2".into(), text: "www.bank.example".into() },
                Link { href: "http://ok.example/".into(), text: "click here".into() },
                Link { href: "x.html".into(), text: "unclosed".into() },
            ]
        );
    }

    #[test]
    fn forms_say_where_they_post_and_whether_they_want_a_password() {
        let found = facts(
            "<form action=\"https://collect.example/p.php\" method=post><input type=text name=u>\
             <input name=p type=\"PASSWORD\"></form><form><input type=text></form>",
        );
        assert_eq!(
            found.forms,
            [Form { action: "https://collect.example/p.php".into(), asks_password: true }, Form { action: String::new(), asks_password: false }]
        );
    }

    #[test]
    fn comments_scripts_and_hostile_input_are_passed_over() {
        let found = facts("<!-- <a href=http://hidden.example>x</a> --><script>if (a<b) {'<a href=y>'}</script><a href=z>ok</a>");
        assert_eq!(found.links, [Link { href: "z".into(), text: "ok".into() }]);
        for hostile in ["<", "<a", "<a href=\"", "<a href='x>", "&#xffffffff;<a href=&#0;>&", "<!--", "<script"] {
            let _ = facts(hostile);
        }
        let many = "<a href=x>y</a>".repeat(MAX_LINKS * 2);
        assert_eq!(facts(&many).links.len(), MAX_LINKS);
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(decode_entities("a&amp;b&#46;c&#x2F;&unknown;&"), "a&b.c/&unknown;&");
    }
}

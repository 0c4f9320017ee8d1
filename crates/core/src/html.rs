//! HTML as the checks read it: the visible text, the link targets, the links with
//! the text a reader sees on them, the forms, the markup vocabulary. One scanner
//! for the statistical tokeniser, the phishing patterns and the URL hash lists;
//! `MessageFacts::html_parts` renders each HTML part once per message.
//!
//! A single forward scan, not an HTML5 parser. `html2text` (html5ever) renders
//! faithfully but builds a DOM and costs far more than the rest of classification;
//! the checks only need the words a reader sees and the URLs behind them. Inline
//! tags join their neighbours (`vi<b></b>agra` reads "viagra", as in a browser),
//! block tags separate words, `<script>`, `<style>` and comments are skipped, and
//! the common character references are decoded. The scan is linear in the input,
//! which the caller has already bounded.

/// What the scan found besides the text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HtmlFacts {
    /// `href` of `<a>`/`<area>` and `src` of `<img>` as written, in document
    /// order, bounded.
    pub links: Vec<String>,
    /// Each `<a href>` with its visible text, the target's character references
    /// decoded (what a phishing pattern compares), bounded.
    pub anchors: Vec<Anchor>,
    /// Each `<form>` with where it posts and whether it asks for a password.
    pub forms: Vec<Form>,
    pub images: u32,
    pub tags: u32,
    /// Distinct `tag` and `tag.attribute` names, lower-cased, bounded: the markup
    /// vocabulary (`font.color`, `table.bgcolor`) tells a bulk mailer's template from
    /// a person's mail client.
    pub markup: Vec<String>,
}

/// One `<a href>` with its visible text (tags removed, references decoded,
/// whitespace collapsed, at most [`MAX_ANCHOR_TEXT`] characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub href: String,
    pub text: String,
}

/// One `<form>`: where it posts (the `action` as written, references decoded,
/// empty when absent) and whether one of its inputs is a password field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    pub action: String,
    pub asks_password: bool,
}

/// At most this many anchors are kept per document.
pub const MAX_ANCHORS: usize = 500;
/// At most this many forms are kept per document.
pub const MAX_FORMS: usize = 50;
/// Visible text kept per anchor, in characters.
pub const MAX_ANCHOR_TEXT: usize = 300;

/// At most this many distinct markup names are kept per document.
pub const MAX_MARKUP_NAMES: usize = 64;

/// At most this many link targets are kept per document.
pub const MAX_LINKS_PER_DOCUMENT: usize = 64;

/// Appends the visible text of `html` to `out` and returns the links and counts.
pub fn html_to_text(html: &str, out: &mut String) -> HtmlFacts {
    let mut facts = HtmlFacts::default();
    // The anchor being read: its target and where its text starts in `out`.
    let mut open_anchor: Option<(String, usize)> = None;
    let bytes = html.as_bytes();
    let mut position = 0;
    while position < bytes.len() {
        let Some(offset) = memchr_lt_or_amp(&bytes[position..]) else {
            out.push_str(&html[position..]);
            break;
        };
        let found = position + offset;
        out.push_str(&html[position..found]);
        if bytes[found] == b'&' {
            position = decode_reference(html, found, out);
            continue;
        }
        position = read_tag(html, found, out, &mut facts, &mut open_anchor);
    }
    close_anchor(&mut open_anchor, out, &mut facts);
    facts
}

/// Ends the anchor being read (at its `</a>`, the next `<a>` or the end of the
/// document), keeping it with the text written since it opened.
fn close_anchor(open_anchor: &mut Option<(String, usize)>, out: &str, facts: &mut HtmlFacts) {
    let Some((href, start)) = open_anchor.take() else {
        return;
    };
    if facts.anchors.len() >= MAX_ANCHORS {
        return;
    }
    let mut text = String::new();
    for word in out.get(start..).unwrap_or_default().split_whitespace() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(word);
        if text.len() >= MAX_ANCHOR_TEXT * 4 {
            break;
        }
    }
    if let Some((cut, _)) = text.char_indices().nth(MAX_ANCHOR_TEXT) {
        text.truncate(cut);
    }
    facts.anchors.push(Anchor { href, text });
}

fn memchr_lt_or_amp(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&byte| byte == b'<' || byte == b'&')
}

/// Reads the markup starting at `start` (a `<`); returns where text resumes.
fn read_tag(html: &str, start: usize, out: &mut String, facts: &mut HtmlFacts, open_anchor: &mut Option<(String, usize)>) -> usize {
    let rest = &html[start..];
    // "a < b" is text in a browser: markup starts with a letter, `/` or `!`.
    if !rest[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') {
        out.push('<');
        return start + 1;
    }
    if rest.starts_with("<!--") {
        return match rest.find("-->") {
            Some(end) => start + end + 3,
            None => html.len(),
        };
    }
    let Some(end) = rest.find('>') else {
        return html.len();
    };
    let inner = &rest[1..end];
    let after = start + end + 1;
    let name_end = inner
        .find(|c: char| c.is_ascii_whitespace() || c == '/' && !inner.starts_with('/'))
        .unwrap_or(inner.len());
    let name = inner[..name_end].trim_start_matches('/');
    let closing = inner.starts_with('/');
    facts.tags += 1;
    if !closing {
        note_markup(name, &inner[name_end..], facts);
    }
    if name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style") {
        if closing {
            return after;
        }
        return skip_until_closing(html, after, name);
    }
    if name.eq_ignore_ascii_case("a") {
        close_anchor(open_anchor, out, facts);
        if !closing {
            let href = attribute(inner, "href");
            if let Some(href) = href {
                *open_anchor = Some((decode_entities(href).trim().to_owned(), out.len()));
            }
            push_link(href, facts);
        }
    } else if name.eq_ignore_ascii_case("area") {
        push_link(attribute(inner, "href"), facts);
    } else if name.eq_ignore_ascii_case("form") && !closing && facts.forms.len() < MAX_FORMS {
        let action = attribute(inner, "action").map(|action| decode_entities(action).trim().to_owned()).unwrap_or_default();
        facts.forms.push(Form { action, asks_password: false });
    } else if name.eq_ignore_ascii_case("input") && attribute(inner, "type").is_some_and(|kind| kind.eq_ignore_ascii_case("password")) {
        match facts.forms.last_mut() {
            Some(form) => form.asks_password = true,
            // A password field outside any form still asks for one.
            None => facts.forms.push(Form { action: String::new(), asks_password: true }),
        }
    } else if name.eq_ignore_ascii_case("img") {
        facts.images += 1;
        push_link(attribute(inner, "src"), facts);
    }
    // A new line, as a browser starts one: a word ends there, and what reads
    // text line by line (the fingerprints) sees the page's lines.
    if is_block(name) {
        out.push('\n');
    }
    after
}

fn note_markup(name: &str, attributes: &str, facts: &mut HtmlFacts) {
    if name.is_empty() || name.len() > 12 || !name.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        return;
    }
    let name = name.to_ascii_lowercase();
    let mut add = |markup: String| {
        if facts.markup.len() < MAX_MARKUP_NAMES && !facts.markup.contains(&markup) {
            facts.markup.push(markup);
        }
    };
    // Attribute names are the words directly before an `=`.
    for piece in attributes.split('=').rev().skip(1) {
        let attribute = piece.rsplit(|c: char| c.is_ascii_whitespace() || c == '"' || c == '\'').next().unwrap_or_default();
        if !attribute.is_empty() && attribute.len() <= 16 && attribute.bytes().all(|byte| byte.is_ascii_alphabetic() || byte == b'-') {
            add(format!("{name}.{}", attribute.to_ascii_lowercase()));
        }
    }
    add(name);
}

fn push_link(link: Option<&str>, facts: &mut HtmlFacts) {
    if let Some(link) = link
        && facts.links.len() < MAX_LINKS_PER_DOCUMENT
        && !link.is_empty()
    {
        facts.links.push(link.to_owned());
    }
}

/// Skips the raw content of `<script>`/`<style>` up to its closing tag.
fn skip_until_closing(html: &str, from: usize, name: &str) -> usize {
    let rest = &html.as_bytes()[from..];
    let closing = format!("</{name}");
    let found = rest.windows(closing.len()).position(|window| window.eq_ignore_ascii_case(closing.as_bytes()));
    match found {
        Some(offset) => match html[from + offset..].find('>') {
            Some(end) => from + offset + end + 1,
            None => html.len(),
        },
        None => html.len(),
    }
}

/// The value of attribute `name` in a tag's inside, quoted or not.
fn attribute<'h>(inner: &'h str, name: &str) -> Option<&'h str> {
    let lower = inner.to_ascii_lowercase();
    let mut search = 0;
    while let Some(found) = lower[search..].find(name) {
        let at = search + found;
        search = at + name.len();
        let preceded_by_space = at > 0 && lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = lower[search..].trim_start();
        if !preceded_by_space || !rest.starts_with('=') {
            continue;
        }
        let value_start = inner.len() - rest.len() + 1;
        let value = inner[value_start..].trim_start();
        return Some(match value.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let body = &value[1..];
                body.find(quote).map_or(body, |end| &body[..end])
            }
            _ => value.split(|c: char| c.is_ascii_whitespace()).next().unwrap_or_default(),
        }
        .trim());
    }
    None
}

/// Tags after which a browser starts a new line or cell: they separate words
/// (the rendering writes a line break).
fn is_block(name: &str) -> bool {
    const BLOCK: &[&str] = &[
        "br", "p", "div", "td", "th", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "blockquote", "pre", "title", "body", "html", "head", "center", "dd", "dt", "form", "option", "img",
    ];
    BLOCK.iter().any(|block| block.eq_ignore_ascii_case(name))
}

/// Decodes the character reference at `start` (an `&`) into `out`; returns where
/// text resumes. An unknown reference is copied as text.
fn decode_reference(html: &str, start: usize, out: &mut String) -> usize {
    let rest = &html[start + 1..];
    let end = rest.bytes().take(10).position(|byte| byte == b';');
    let Some(end) = end else {
        out.push('&');
        return start + 1;
    };
    let name = &rest[..end];
    let decoded = if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => number.parse::<u32>().ok(),
        };
        code.and_then(char::from_u32)
    } else {
        match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            "copy" => Some('©'),
            "reg" => Some('®'),
            "euro" => Some('€'),
            "pound" => Some('£'),
            _ => None,
        }
    };
    match decoded {
        Some(c) => {
            out.push(c);
            start + 1 + end + 1
        }
        None => {
            out.push('&');
            start + 1
        }
    }
}

/// Decodes the character references of an attribute value (a link's target, a
/// form's action), as the text's are decoded: they hide characters of URLs and
/// domains (`&#46;` for a dot).
pub fn decode_entities(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('&') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut position = 0;
    while let Some(offset) = text[position..].find('&') {
        out.push_str(&text[position..position + offset]);
        position = decode_reference(text, position + offset, &mut out);
    }
    out.push_str(&text[position..]);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(html: &str) -> (String, HtmlFacts) {
        let mut out = String::new();
        let facts = html_to_text(html, &mut out);
        (out.split_whitespace().collect::<Vec<_>>().join(" "), facts)
    }

    #[test]
    fn tags_are_removed_and_blocks_separate_words() {
        let (text, _) = text_of("<html><body><p>Hello</p><p>world</p>vi<b></b>agra</body></html>");
        assert_eq!(text, "Hello world viagra");
    }

    #[test]
    fn scripts_styles_and_comments_are_invisible() {
        let (text, _) = text_of("<style>p{color:red}</style>a<!-- hidden -->b<script>var x='<p>';</script> c");
        assert_eq!(text, "ab c");
    }

    #[test]
    fn references_are_decoded() {
        let (text, _) = text_of("Fish &amp; chips &#8364;5 &#x41;&nbsp;B &bogus; &");
        assert_eq!(text, "Fish & chips €5 A B &bogus; &");
    }

    #[test]
    fn links_and_images_are_collected() {
        let (text, facts) =
            text_of("<a HREF=\"http://Example.com/x\">click</a> <img src='http://img.example.net/a.gif'><a href=nq.org>q</a>");
        assert_eq!(text, "click q");
        assert_eq!(facts.links, vec!["http://Example.com/x", "http://img.example.net/a.gif", "nq.org"]);
        assert_eq!(facts.images, 1);
        assert!(facts.markup.contains(&"a.href".to_owned()) && facts.markup.contains(&"img".to_owned()), "{:?}", facts.markup);
    }

    #[test]
    fn unterminated_markup_ends_the_text() {
        let (text, _) = text_of("before <a href=\"x");
        assert_eq!(text, "before");
        let (text, _) = text_of("x <!-- never closed");
        assert_eq!(text, "x");
        let (text, _) = text_of("1 < 2 and 3 > 2");
        assert_eq!(text, "1 < 2 and 3 > 2");
    }

    fn facts(html: &str) -> HtmlFacts {
        html_to_text(html, &mut String::new())
    }

    #[test]
    fn links_keep_their_visible_text() {
        let found = facts(
            "<p>Hi <A HREF=\"https://evil.example/x?a=1&amp;b=2\" class=x><b>www.bank.example</b>\n</a> and \
             <a href='http://ok.example/'>click   here</a><a href=x.html>unclosed",
        );
        assert_eq!(
            found.anchors,
            [
                Anchor { href: "https://evil.example/x?a=1&b=2".into(), text: "www.bank.example".into() },
                Anchor { href: "http://ok.example/".into(), text: "click here".into() },
                Anchor { href: "x.html".into(), text: "unclosed".into() },
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
        assert_eq!(found.anchors, [Anchor { href: "z".into(), text: "ok".into() }]);
        for hostile in ["<", "<a", "<a href=\"", "<a href='x>", "&#xffffffff;<a href=&#0;>&", "<!--", "<script"] {
            let _ = facts(hostile);
        }
        let many = "<a href=x>y</a>".repeat(MAX_ANCHORS * 2);
        assert_eq!(facts(&many).anchors.len(), MAX_ANCHORS);
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(decode_entities("a&amp;b&#46;c&#x2F;&unknown;&"), "a&b.c/&unknown;&");
    }
}

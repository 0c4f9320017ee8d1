//! The paths of `MAIL FROM` and `RCPT TO`, read from the raw command line with
//! the grammar of RFC 5321 §4.1.2, and the `SIZE` parameter.
//!
//! `smtp-proto` recognises the command and its other parameters, but hands back
//! addresses with the quotes and escapes of a quoted local part removed: relayed
//! that way, `<"a@b.example> RET=FULL"@c.example>` turns into a different sender
//! and injected parameters. Here a path is kept **exactly as received** (quoted
//! local parts stay quoted, so what we log is what the next hop sees), or
//! refused: NUL, CR, LF, other controls, `<` and `>` inside an address, a domain
//! with an empty label (such as a trailing dot) and over-long parts are errors.
//! A source route (`@a,@b:`) is dropped, as §4.1.1.3 asks.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest local part and domain (RFC 5321 §4.5.3.1) and path.
const MAX_LOCAL_PART: usize = 64;
const MAX_DOMAIN: usize = 255;
const MAX_PATH: usize = 256;
/// More digits than any u64 has: such a SIZE is larger than anything we accept.
const MAX_SIZE_DIGITS: usize = 20;

/// A path as given between `<` and `>`.
#[derive(Debug, PartialEq, Eq)]
pub enum Path {
    /// `<>`: the null reverse-path.
    Null,
    /// `<postmaster>` without a domain (RCPT only, RFC 5321 §4.5.1).
    Postmaster,
    /// `local@domain`, exactly as received (source route removed).
    Mailbox(String),
}

/// A parsed `MAIL FROM` or `RCPT TO` line.
#[derive(Debug, PartialEq, Eq)]
pub struct Command {
    pub path: Path,
    /// The `SIZE=` parameter; values beyond u64 saturate to `u64::MAX`.
    pub size: Option<u64>,
}

/// Why a path or parameter was refused; the text goes into the 501 reply.
#[derive(Debug, PartialEq, Eq)]
pub struct PathError(pub &'static str);

/// Parses the line of a `MAIL FROM:` or `RCPT TO:` command (line end included or
/// not). The verb itself has been recognised by the caller.
pub fn parse(line: &[u8]) -> Result<Command, PathError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().any(|&byte| byte < 0x20 || byte == 0x7f) {
        return Err(PathError("control character in command"));
    }
    let colon = line.iter().position(|&byte| byte == b':').ok_or(PathError("missing colon"))?;
    let rest = &line[colon + 1..];
    let start = rest.iter().position(|&byte| byte != b' ').unwrap_or(rest.len());
    let rest = &rest[start..];
    let Some(inside) = rest.strip_prefix(b"<") else {
        return Err(PathError("path must be in angle brackets"));
    };
    let end = closing_bracket(inside)?;
    let path = path(&inside[..end])?;
    let parameters = &inside[end + 1..];
    if !parameters.is_empty() && !parameters.starts_with(b" ") {
        return Err(PathError("space expected after the path"));
    }
    let size = size_parameter(parameters)?;
    Ok(Command { path, size })
}

/// The index of the `>` closing the path, skipping quoted strings; a `<` or `>`
/// inside is an error.
fn closing_bracket(inside: &[u8]) -> Result<usize, PathError> {
    let mut in_quote = false;
    let mut escaped = false;
    for (index, &byte) in inside.iter().enumerate() {
        if escaped {
            escaped = false;
            if matches!(byte, b'<' | b'>') {
                return Err(PathError("angle bracket inside the address"));
            }
            continue;
        }
        match byte {
            b'\\' if in_quote => escaped = true,
            b'"' => in_quote = !in_quote,
            b'<' | b'>' if in_quote => return Err(PathError("angle bracket inside the address")),
            b'<' => return Err(PathError("angle bracket inside the address")),
            b'>' => return Ok(index),
            _ => {}
        }
    }
    Err(PathError(if in_quote { "unterminated quoted string" } else { "missing closing angle bracket" }))
}

fn path(raw: &[u8]) -> Result<Path, PathError> {
    if raw.is_empty() {
        return Ok(Path::Null);
    }
    if raw.len() > MAX_PATH {
        return Err(PathError("address too long"));
    }
    let text = std::str::from_utf8(raw).map_err(|_| PathError("address is not UTF-8"))?;
    if text.chars().any(char::is_control) {
        return Err(PathError("control character in address"));
    }
    let mailbox = strip_source_route(text)?;
    if mailbox.eq_ignore_ascii_case("postmaster") {
        return Ok(Path::Postmaster);
    }
    let (local, domain) = split_mailbox(mailbox)?;
    if local.len() > MAX_LOCAL_PART {
        return Err(PathError("local part too long"));
    }
    check_domain(domain)?;
    Ok(Path::Mailbox(mailbox.to_owned()))
}

/// `@a.example,@b.example:user@c.example` → `user@c.example`.
fn strip_source_route(text: &str) -> Result<&str, PathError> {
    if !text.starts_with('@') {
        return Ok(text);
    }
    let (route, mailbox) = text.split_once(':').ok_or(PathError("bad source route"))?;
    for hop in route.split(',') {
        let domain = hop.strip_prefix('@').ok_or(PathError("bad source route"))?;
        check_domain(domain)?;
    }
    Ok(mailbox)
}

/// Splits at the `@` after the local part, checking the local part's syntax.
fn split_mailbox(mailbox: &str) -> Result<(&str, &str), PathError> {
    let bytes = mailbox.as_bytes();
    let local_end = if bytes.first() == Some(&b'"') {
        let mut escaped = false;
        let mut close = None;
        for (index, &byte) in bytes.iter().enumerate().skip(1) {
            if escaped {
                if !(0x20..=0x7e).contains(&byte) {
                    return Err(PathError("bad quoted pair"));
                }
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                close = Some(index);
                break;
            }
        }
        close.ok_or(PathError("unterminated quoted string"))? + 1
    } else {
        let end = mailbox.find('@').ok_or(PathError("address needs a domain"))?;
        let local = &mailbox[..end];
        if local.is_empty() || local.split('.').any(|atom| atom.is_empty() || !atom.chars().all(is_atext)) {
            return Err(PathError("bad local part"));
        }
        end
    };
    let (local, rest) = mailbox.split_at(local_end);
    let domain = rest.strip_prefix('@').ok_or(PathError("address needs a domain"))?;
    Ok((local, domain))
}

/// RFC 5322 atext, plus any non-ASCII character (SMTPUTF8).
fn is_atext(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(ch) || !ch.is_ascii()
}

fn check_domain(domain: &str) -> Result<(), PathError> {
    if domain.is_empty() {
        return Err(PathError("empty domain"));
    }
    if domain.len() > MAX_DOMAIN {
        return Err(PathError("domain too long"));
    }
    if let Some(literal) = domain.strip_prefix('[') {
        let literal = literal.strip_suffix(']').ok_or(PathError("bad address literal"))?;
        let valid = match literal.get(..5) {
            Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => literal[5..].parse::<Ipv6Addr>().is_ok(),
            _ => literal.parse::<Ipv4Addr>().is_ok(),
        };
        return if valid { Ok(()) } else { Err(PathError("bad address literal")) };
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err(PathError("empty label in domain (trailing dot?)"));
        }
        if label.len() > 63 || label.starts_with('-') || label.ends_with('-') {
            return Err(PathError("bad domain label"));
        }
        if !label.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || !ch.is_ascii()) {
            return Err(PathError("bad character in domain"));
        }
    }
    Ok(())
}

/// The value of `SIZE=` among the parameters, if given.
fn size_parameter(parameters: &[u8]) -> Result<Option<u64>, PathError> {
    let mut size = None;
    for parameter in parameters.split(|&byte| byte == b' ').filter(|parameter| !parameter.is_empty()) {
        let Some(value) = parameter.get(..5).filter(|key| key.eq_ignore_ascii_case(b"SIZE=")).map(|_| &parameter[5..]) else {
            continue;
        };
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Err(PathError("SIZE needs a number"));
        }
        let digits = value.iter().skip_while(|&&digit| digit == b'0').count();
        size = Some(if digits > MAX_SIZE_DIGITS {
            u64::MAX
        } else {
            std::str::from_utf8(value).ok().and_then(|text| text.parse::<u64>().ok()).unwrap_or(u64::MAX)
        });
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(line: &str) -> Result<String, PathError> {
        match parse(line.as_bytes())?.path {
            Path::Mailbox(address) => Ok(address),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn plain_addresses_are_kept_as_received() {
        assert_eq!(mailbox("MAIL FROM:<Alice.B+tag@Example.TEST>\r\n").unwrap(), "Alice.B+tag@Example.TEST");
        assert_eq!(mailbox("RCPT TO: <u@[192.0.2.1]>\r\n").unwrap(), "u@[192.0.2.1]");
        assert_eq!(mailbox("RCPT TO:<u@[IPv6:2001:db8::1]>").unwrap(), "u@[IPv6:2001:db8::1]");
        assert_eq!(mailbox("RCPT TO:<@relay.test,@b.test:u@example.test>\r\n").unwrap(), "u@example.test");
        assert_eq!(mailbox("MAIL FROM:<ü@bücher.test> SMTPUTF8\r\n").unwrap(), "ü@bücher.test");
    }

    #[test]
    fn quoted_local_parts_stay_quoted() {
        assert_eq!(mailbox("MAIL FROM:<\"john doe\"@example.test>\r\n").unwrap(), "\"john doe\"@example.test");
        assert_eq!(mailbox("MAIL FROM:<\"a@b=c\"@other.test>\r\n").unwrap(), "\"a@b=c\"@other.test");
        assert_eq!(mailbox("MAIL FROM:<\"a\\\"b\"@other.test>\r\n").unwrap(), "\"a\\\"b\"@other.test");
    }

    #[test]
    fn injection_attempts_are_refused() {
        for line in [
            "MAIL FROM:<\"postmaster@example.test> RET=FULL ENVID=x\"@other.test>\r\n",
            "MAIL FROM:<\"a<b\"@other.test>\r\n",
            "MAIL FROM:<\"a\\>b\"@other.test>\r\n",
            "MAIL FROM:<\"a\0b\"@other.test>\r\n",
            "MAIL FROM:<a\0b@other.test>\r\n",
            "MAIL FROM:<\"a\rb\"@other.test>\r\n",
            "MAIL FROM:<a\r@other.test>\r\n",
            "RCPT TO:<a@b.test>\rRCPT TO:<c@d.test>\r\n",
            "MAIL FROM:<\"a\x1bb\"@other.test>\r\n",
            "MAIL FROM:<\"unterminated@other.test>\r\n",
            "MAIL FROM:<a b@other.test>\r\n",
            "MAIL FROM:<a@b.test>junk\r\n",
            "MAIL FROM:<a@b.test\r\n",
            "RCPT TO:<user@example.test.>\r\n",
            "RCPT TO:<user@example..test>\r\n",
            "RCPT TO:<user@-example.test>\r\n",
            "RCPT TO:<.user@example.test>\r\n",
            "RCPT TO:<us..er@example.test>\r\n",
            "RCPT TO:<user@>\r\n",
            "RCPT TO:<user>\r\n",
            "RCPT TO:<user@[300.1.1.1]>\r\n",
            "RCPT TO:<user@example.test\u{85}>\r\n",
            "RCPT TO:user@example.test\r\n",
        ] {
            assert!(parse(line.as_bytes()).is_err(), "{line:?} was accepted");
        }
        let long_local = format!("MAIL FROM:<{}@example.test>", "a".repeat(65));
        assert!(parse(long_local.as_bytes()).is_err());
    }

    #[test]
    fn null_path_and_postmaster() {
        assert_eq!(parse(b"MAIL FROM:<>\r\n").unwrap().path, Path::Null);
        assert_eq!(parse(b"RCPT TO:<Postmaster>\r\n").unwrap().path, Path::Postmaster);
        assert_eq!(mailbox("RCPT TO:<postmaster@example.test>").unwrap(), "postmaster@example.test");
    }

    #[test]
    fn size_parameter_saturates_or_is_refused() {
        assert_eq!(parse(b"MAIL FROM:<a@b.test> SIZE=1000\r\n").unwrap().size, Some(1000));
        assert_eq!(parse(b"MAIL FROM:<a@b.test> BODY=8BITMIME size=0001000\r\n").unwrap().size, Some(1000));
        assert_eq!(parse(b"MAIL FROM:<a@b.test> SIZE=99999999999999999999999\r\n").unwrap().size, Some(u64::MAX));
        assert_eq!(parse(b"MAIL FROM:<a@b.test> SIZE=18446744073709551616\r\n").unwrap().size, Some(u64::MAX));
        assert_eq!(parse(b"MAIL FROM:<a@b.test>\r\n").unwrap().size, None);
        assert!(parse(b"MAIL FROM:<a@b.test> SIZE=\r\n").is_err());
        assert!(parse(b"MAIL FROM:<a@b.test> SIZE=-1\r\n").is_err());
        assert!(parse(b"MAIL FROM:<a@b.test> SIZE=1e9\r\n").is_err());
    }
}

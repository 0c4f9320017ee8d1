//! The SASL responses of SMTP AUTH (RFC 4954) for the two mechanisms we offer,
//! PLAIN (RFC 4616) and LOGIN: pure decoding, no I/O. The exchange itself
//! (the `334` prompts, reading the client's lines) is `session/auth.rs`.
//!
//! Everything here is hostile input: a response that is `*` cancels, one that
//! is not base64 or decodes to something else than the mechanism's form is
//! refused, and names and passwords are bounded.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Longest user name accepted (an address: RFC 5321's path limit).
pub const MAX_USERNAME: usize = 320;
/// Longest password accepted.
pub const MAX_PASSWORD: usize = 1024;

/// The mechanisms we offer, from `smtp-proto`'s bit flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Login,
}

impl Mechanism {
    /// The mechanism of `smtp_proto::Request::Auth`'s flags; `None` for any
    /// other (or several).
    pub fn from_flags(flags: u64) -> Option<Mechanism> {
        match flags {
            smtp_proto::AUTH_PLAIN => Some(Mechanism::Plain),
            smtp_proto::AUTH_LOGIN => Some(Mechanism::Login),
            _ => None,
        }
    }
}

/// A user name and password as the client sent them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).finish_non_exhaustive()
    }
}

/// Why a response was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaslError {
    /// The client sent `*` (RFC 4954: 501).
    Cancelled,
    /// Not base64.
    BadBase64,
    /// Base64, but not the mechanism's form (missing NULs, not UTF-8, too long).
    Malformed,
    /// PLAIN with an authorization identity other than the authenticated one:
    /// we do not let one user act as another.
    AuthzidDiffers,
}

/// The decoded bytes of one response line (CRLF already removed).
fn decode(response: &str) -> Result<Vec<u8>, SaslError> {
    let response = response.trim();
    if response == "*" {
        return Err(SaslError::Cancelled);
    }
    // RFC 4954: "=" is an empty initial response.
    if response == "=" {
        return Ok(Vec::new());
    }
    STANDARD.decode(response).map_err(|_| SaslError::BadBase64)
}

/// A PLAIN response: `[authzid] NUL authcid NUL passwd`.
pub fn plain(response: &str) -> Result<Credentials, SaslError> {
    let bytes = decode(response)?;
    let text = String::from_utf8(bytes).map_err(|_| SaslError::Malformed)?;
    let mut parts = text.split('\0');
    let (Some(authzid), Some(authcid), Some(password), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(SaslError::Malformed);
    };
    let credentials = bounded(authcid, password)?;
    if !authzid.is_empty() && !authzid.eq_ignore_ascii_case(authcid) {
        return Err(SaslError::AuthzidDiffers);
    }
    Ok(credentials)
}

/// One LOGIN response (the user name, then the password): base64 text.
pub fn login_field(response: &str, max: usize) -> Result<String, SaslError> {
    let bytes = decode(response)?;
    let text = String::from_utf8(bytes).map_err(|_| SaslError::Malformed)?;
    if text.len() > max || text.contains('\0') {
        return Err(SaslError::Malformed);
    }
    Ok(text)
}

fn bounded(username: &str, password: &str) -> Result<Credentials, SaslError> {
    if username.is_empty() || username.len() > MAX_USERNAME || password.len() > MAX_PASSWORD {
        return Err(SaslError::Malformed);
    }
    Ok(Credentials { username: username.to_owned(), password: password.to_owned() })
}

/// LOGIN's two fields, checked as PLAIN's are.
pub fn login(username: String, password: String) -> Result<Credentials, SaslError> {
    bounded(&username, &password)
}

/// The `334` prompts of LOGIN (`Username:` and `Password:` in base64).
pub const LOGIN_USERNAME_PROMPT: &str = "VXNlcm5hbWU6";
pub const LOGIN_PASSWORD_PROMPT: &str = "UGFzc3dvcmQ6";

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        STANDARD.encode(text)
    }

    #[test]
    fn plain_with_and_without_authzid() {
        let credentials = plain(&b64("\0alice@example.test\0secret")).unwrap();
        assert_eq!((credentials.username.as_str(), credentials.password.as_str()), ("alice@example.test", "secret"));
        assert!(plain(&b64("Alice@Example.test\0alice@example.test\0secret")).is_ok(), "the same identity twice");
        assert_eq!(plain(&b64("bob@example.test\0alice@example.test\0secret")), Err(SaslError::AuthzidDiffers));
    }

    #[test]
    fn hostile_responses_are_refused() {
        assert_eq!(plain("*"), Err(SaslError::Cancelled));
        assert_eq!(plain("not base64!"), Err(SaslError::BadBase64));
        assert_eq!(plain(&b64("no nuls at all")), Err(SaslError::Malformed));
        assert_eq!(plain(&b64("\0\0secret")), Err(SaslError::Malformed), "empty user name");
        assert_eq!(plain(&b64("\0a\0b\0c")), Err(SaslError::Malformed), "a NUL too many");
        assert_eq!(plain(&STANDARD.encode([0u8, b'a', 0, 0xff])), Err(SaslError::Malformed), "not UTF-8");
        let long = format!("\0{}\0x", "a".repeat(MAX_USERNAME + 1));
        assert_eq!(plain(&b64(&long)), Err(SaslError::Malformed));
        assert_eq!(plain("="), Err(SaslError::Malformed), "an empty response has no user");
    }

    #[test]
    fn login_fields_and_prompts() {
        assert_eq!(login_field(&b64("alice@example.test"), MAX_USERNAME).unwrap(), "alice@example.test");
        assert_eq!(login_field("*", MAX_USERNAME), Err(SaslError::Cancelled));
        assert_eq!(login_field(&b64(&"x".repeat(20)), 10), Err(SaslError::Malformed));
        assert_eq!(STANDARD.decode(LOGIN_USERNAME_PROMPT).unwrap(), b"Username:");
        assert_eq!(STANDARD.decode(LOGIN_PASSWORD_PROMPT).unwrap(), b"Password:");
        assert!(login(String::new(), "x".into()).is_err());
    }

    #[test]
    fn the_mechanism_flags() {
        assert_eq!(Mechanism::from_flags(smtp_proto::AUTH_PLAIN), Some(Mechanism::Plain));
        assert_eq!(Mechanism::from_flags(smtp_proto::AUTH_LOGIN), Some(Mechanism::Login));
        assert_eq!(Mechanism::from_flags(smtp_proto::AUTH_CRAM_MD5), None);
        assert_eq!(Mechanism::from_flags(0), None);
    }
}

//! Pattern `password-form`: an HTML body or HTML attachment holding a form with a
//! password field that posts to a domain other than the sender's. Mail never
//! needs to collect a password; a login page sent as an attachment, posting to
//! wherever the attacker collects, is a common kit.
//!
//! A password form in an attachment counts even without an absolute `action`
//! (scripts submit it); in the body only one posting elsewhere does.

use sluice_model::{Finding, MainClass, Subclass};

use super::Content;
use super::domains::{registrable, url_host};

pub const NAME: &str = "phishing/password-form";

pub fn check(content: &Content<'_>) -> Option<Finding> {
    let from_domain = content.from_address.rsplit_once('@').map(|(_, domain)| registrable(domain).to_owned());
    let posts_elsewhere = |form: &crate::html::Form| {
        let target = url_host(&form.action)?;
        let target = registrable(&target).to_owned();
        (from_domain.as_deref() != Some(target.as_str())).then_some(target)
    };
    for form in content.forms.iter().filter(|form| form.asks_password) {
        if let Some(target) = posts_elsewhere(form) {
            return Some(found(format!("password-form: in the body, posts to {target}")));
        }
    }
    let form = content.attached_forms.iter().find(|form| form.asks_password)?;
    let target = posts_elsewhere(form).unwrap_or_else(|| "a script".to_owned());
    Some(found(format!("password-form: in an HTML attachment, posts to {target}")))
}

fn found(evidence: String) -> Finding {
    Finding::new(NAME, MainClass::Phish, Subclass::Pattern, evidence)
}

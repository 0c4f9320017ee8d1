//! Pattern `freemail-reply-to`: a message From a business domain whose replies go
//! to a free-mail mailbox (`From: ceo@company.example`, `Reply-To:
//! ceo.company@gmail.com`): the business e-mail compromise trick of collecting the
//! answers somewhere the business does not control.
//!
//! A free-mail From with a free-mail Reply-To is a private person, and a Reply-To
//! with the same local part as the From is usually the same person forwarding
//! their mail; neither counts.

use sluice_model::{Finding, MainClass, Subclass};

use super::Content;
use super::domains::registrable;

pub const NAME: &str = "phishing/freemail-reply-to";

/// Free-mail providers (registrable domains) where anyone can open a mailbox.
pub const FREE_MAIL: &[&str] = &[
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com", "rocketmail.com",
    "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com",
    "me.com", "mail.com", "gmx.com", "gmx.net", "gmx.de", "web.de", "yandex.com", "yandex.ru", "mail.ru",
    "protonmail.com", "proton.me", "zoho.com", "qq.com", "163.com", "126.com", "sina.com", "rediffmail.com",
    "tutanota.com", "inbox.com", "list.ru", "bk.ru", "usa.com", "email.com", "naver.com",
];

pub fn is_free_mail(domain: &str) -> bool {
    FREE_MAIL.contains(&registrable(domain))
}

pub fn check(content: &Content<'_>) -> Option<Finding> {
    let reply_to = content.reply_to.as_deref()?;
    let (reply_local, reply_domain) = reply_to.rsplit_once('@')?;
    let (from_local, from_domain) = content.from_address.rsplit_once('@')?;
    if !is_free_mail(reply_domain) || is_free_mail(from_domain) || registrable(reply_domain) == registrable(from_domain) {
        return None;
    }
    if reply_local == from_local {
        return None;
    }
    Some(Finding::new(
        NAME,
        MainClass::Phish,
        Subclass::Pattern,
        format!("freemail-reply-to: From at {from_domain}, Reply-To at {reply_domain}"),
    ))
}

//! What `serve` checks before it binds anything, and `check-config` checks the
//! same way: the files the configuration names can be read, the storage URL is
//! one we speak. Problems that would only
//! surprise the admin later are warnings, not errors (the example API token,
//! BATV on a domain whose mail never leaves through Sluice).

use crate::Config;

/// The example configuration's API token: fine on loopback, never in production.
const EXAMPLE_ADMIN_TOKEN: &str = "change-me";

/// Fails with the file, key and what is expected; otherwise the warnings.
pub fn check(config: &Config) -> anyhow::Result<Vec<String>> {
    let file = config.path.display();
    let url = config.storage_url.as_str();
    if !["sqlite:", "postgres:", "postgresql:"].iter().any(|scheme| url.starts_with(scheme)) {
        anyhow::bail!("{file}: key `storage.url`: expected sqlite://PATH or postgres://USER@HOST/DATABASE, got {url:?}");
    }
    // Reads the certificate and key exactly as the listeners will.
    crate::tls::acceptor(config)?;
    let mut warnings = Vec::new();
    if config.domains.is_empty() {
        warnings.push(format!(
            "{file}: no [[domains]]: mail is accepted only for the domains added through the API or the web interface"
        ));
    }
    if config.listen.web.is_some() {
        match config.web.admin_token.as_str() {
            "" => warnings.push(format!("{file}: key `web.admin_token` is empty: the JSON API refuses every request")),
            EXAMPLE_ADMIN_TOKEN => warnings.push(format!(
                "{file}: key `web.admin_token` is the example's {EXAMPLE_ADMIN_TOKEN:?}: anyone who read the README can use the API; set a secret"
            )),
            _ => {}
        }
    }
    let submission = config.listen.submission.is_some() || config.listen.submissions.is_some();
    if submission && config.tls.certificate.is_none() {
        warnings.push(format!(
            "{file}: [listen] submission/submissions with a self-signed certificate: mail clients will refuse it or warn their users before they send a password; set [tls] certificate and key"
        ));
    }
    // BATV refuses every bounce to an untagged address of the domain, and only
    // mail sent through a submission listener is tagged.
    if config.listen.submission.is_none() && config.listen.submissions.is_none() {
        for domain in config.domains.iter().filter(|domain| domain.settings.batv) {
            warnings.push(format!(
                "{file}: [[domains]] {}: `batv = true` without a submission listener: no outgoing mail is tagged, so every bounce to the domain is refused",
                domain.name
            ));
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submission_with_a_self_signed_certificate_is_a_warning() {
        let text = "hostname = \"mx.example.net\"\ndata_dir = \"/tmp/sluice\"\n[listen]\nsubmissions = \"127.0.0.1:2465\"\n\
                    [[domains]]\nname = \"example.net\"\ndestination = \"127.0.0.1:2525\"\n";
        let config = Config::parse(std::path::Path::new("sluice.toml"), text).unwrap();
        let warnings = check(&config).unwrap();
        assert!(warnings.iter().any(|warning| warning.contains("self-signed")), "{warnings:?}");
        let without = Config::parse(std::path::Path::new("sluice.toml"), &text.replace("submissions", "smtp")).unwrap();
        assert!(check(&without).unwrap().is_empty());
    }

    fn config(listen: &str, domain_keys: &str) -> Config {
        let text = format!(
            "hostname = \"mx.example.net\"\ndata_dir = \"/tmp/sluice\"\n[listen]\n{listen}\n[[domains]]\nname = \"example.net\"\ndestination = \"127.0.0.1:2526\"\n{domain_keys}\n"
        );
        Config::parse(std::path::Path::new("sluice.toml"), &text).expect("parses")
    }

    #[test]
    fn batv_without_a_submission_listener_is_warned_about() {
        let warned = |config: &Config| check(config).expect("checks").iter().any(|warning| warning.contains("batv = true"));
        assert!(warned(&config("smtp = \"127.0.0.1:2525\"", "batv = true")));
        assert!(!warned(&config("smtp = \"127.0.0.1:2525\"\nsubmission = \"127.0.0.1:2587\"", "batv = true")));
        assert!(!warned(&config("smtp = \"127.0.0.1:2525\"", "")));
    }
}

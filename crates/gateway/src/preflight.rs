//! What `serve` checks before it binds anything, and `check-config` checks the
//! same way: the files the configuration names can be read, the storage URL is
//! one we speak, there is a domain to accept mail for. Problems that would only
//! surprise the admin later are warnings, not errors.

use crate::Config;

/// The example configuration's API token: fine on loopback, never in production.
const EXAMPLE_ADMIN_TOKEN: &str = "change-me";

/// Fails with the file, key and what is expected; otherwise the warnings.
pub fn check(config: &Config) -> anyhow::Result<Vec<String>> {
    let file = config.path.display();
    if config.domains.is_empty() {
        anyhow::bail!("{file}: [[domains]]: expected at least one domain to accept mail for (name and destination)");
    }
    let url = config.storage_url.as_str();
    if !["sqlite:", "postgres:", "postgresql:"].iter().any(|scheme| url.starts_with(scheme)) {
        anyhow::bail!("{file}: key `storage.url`: expected sqlite://PATH or postgres://USER@HOST/DATABASE, got {url:?}");
    }
    // Reads the certificate and key exactly as the listeners will.
    crate::tls::acceptor(config)?;
    let mut warnings = Vec::new();
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
}

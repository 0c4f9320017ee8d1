//! The STARTTLS server configuration: the configured certificate, or a self-signed
//! one generated at start-up so STARTTLS works out of the box (sending MTAs do not
//! verify certificates of MX hosts unless DANE/MTA-STS says so).

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::Config;

/// Builds the acceptor used by every STARTTLS upgrade.
pub fn acceptor(config: &Config) -> anyhow::Result<TlsAcceptor> {
    let (chain, key) = match (&config.tls.certificate, &config.tls.key) {
        (Some(certificate), Some(key)) => {
            let chain = CertificateDer::pem_file_iter(certificate)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|error| anyhow::anyhow!("{}: key `tls.certificate`: cannot read PEM certificates from {}: {error}", config.path.display(), certificate.display()))?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|error| anyhow::anyhow!("{}: key `tls.key`: cannot read a PEM private key from {}: {error}", config.path.display(), key.display()))?;
            (chain, key)
        }
        _ => {
            let generated = rcgen::generate_simple_self_signed(vec![config.hostname.clone()])?;
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(generated.signing_key.serialize_der()));
            (vec![generated.cert.der().clone()], key)
        }
    };
    let server = ServerConfig::builder().with_no_client_auth().with_single_cert(chain, key)?;
    Ok(TlsAcceptor::from(Arc::new(server)))
}

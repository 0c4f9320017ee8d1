//! The real [`Resolver`]: hickory's asynchronous resolver, asking the configured
//! server (`[dns] resolver`) or the system's, with its answers mapped onto
//! [`LookupOutcome`]s.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;
use hickory_resolver::net::NetError;

use crate::{LookupOutcome, MailExchangers, Pending, Resolver};

/// DNS through hickory.
pub struct DnsResolver {
    resolver: TokioResolver,
}

impl DnsResolver {
    /// Asks `server` (`ip:port`), or the system's resolvers when `None`, each
    /// query within `timeout`.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<DnsResolver, NetError> {
        Ok(DnsResolver { resolver: hickory_resolver(server, timeout)? })
    }
}

/// The hickory resolver every DNS user shares the configuration of: `server`
/// (`ip:port`) or the system's resolvers, each query within `timeout`. The
/// sender authentication (`auth.rs`) builds its own over the same settings.
pub fn hickory_resolver(server: Option<SocketAddr>, timeout: Duration) -> Result<TokioResolver, NetError> {
    let mut builder = match server {
        Some(address) => {
            let mut name_server = NameServerConfig::udp_and_tcp(address.ip());
            for connection in &mut name_server.connections {
                connection.port = address.port();
            }
            TokioResolver::builder_with_config(ResolverConfig::from_name_servers(vec![name_server]), TokioRuntimeProvider::default())
        }
        None => TokioResolver::builder_tokio()?,
    };
    builder.options_mut().timeout = timeout;
    builder.build()
}

/// A failed query as an outcome: the name does not exist, or the server failed.
fn failure<T>(error: &NetError, no_records: impl FnOnce() -> T) -> LookupOutcome<T> {
    if error.is_nx_domain() {
        LookupOutcome::NotFound
    } else if error.is_no_records_found() {
        LookupOutcome::Answer(no_records())
    } else {
        LookupOutcome::Failed(error.to_string())
    }
}

impl Resolver for DnsResolver {
    fn mx<'a>(&'a self, domain: &'a str) -> Pending<'a, MailExchangers> {
        Box::pin(async move {
            match self.resolver.mx_lookup(domain).await {
                Ok(lookup) => {
                    let hosts: Vec<(u16, String)> = lookup
                        .answers()
                        .iter()
                        .filter_map(|record| match &record.data {
                            RData::MX(mx) => Some((mx.preference, mx.exchange.to_utf8())),
                            _ => None,
                        })
                        .collect();
                    LookupOutcome::Answer(if hosts.is_empty() { MailExchangers::Implicit } else { MailExchangers::Hosts(hosts) })
                }
                Err(error) => failure(&error, || MailExchangers::Implicit),
            }
        })
    }

    fn ips<'a>(&'a self, host: &'a str) -> Pending<'a, Vec<IpAddr>> {
        Box::pin(async move {
            match self.resolver.lookup_ip(host).await {
                Ok(lookup) => LookupOutcome::Answer(lookup.iter().collect()),
                Err(error) => failure(&error, Vec::new),
            }
        })
    }

    fn txt<'a>(&'a self, name: &'a str) -> Pending<'a, Vec<String>> {
        Box::pin(async move {
            match self.resolver.txt_lookup(name).await {
                Ok(lookup) => LookupOutcome::Answer(
                    lookup
                        .answers()
                        .iter()
                        .filter_map(|record| match &record.data {
                            RData::TXT(txt) => Some(
                                txt.txt_data.iter().map(|part| String::from_utf8_lossy(part)).collect::<String>(),
                            ),
                            _ => None,
                        })
                        .collect(),
                ),
                Err(error) => failure(&error, Vec::new),
            }
        })
    }

    fn ptr<'a>(&'a self, ip: IpAddr) -> Pending<'a, Vec<String>> {
        Box::pin(async move {
            match self.resolver.reverse_lookup(ip).await {
                Ok(lookup) => LookupOutcome::Answer(
                    lookup
                        .answers()
                        .iter()
                        .filter_map(|record| match &record.data {
                            RData::PTR(name) => Some(name.0.to_utf8()),
                            _ => None,
                        })
                        .collect(),
                ),
                Err(error) => failure(&error, Vec::new),
            }
        })
    }
}

//! The real [`Resolver`]: hickory's asynchronous resolver, asking the configured
//! server (`[dns] resolver`) or the system's, with its answers mapped onto
//! [`LookupOutcome`]s.
//!
//! One resolver serves the whole process ([`configured_resolver`] builds it; the
//! sender authentication's `mail-auth` authenticator can wrap the same one), so
//! its cache is shared: hickory keeps up to [`CACHE_ENTRIES`] answers, each for
//! its TTL (negative answers for the SOA's negative TTL), so a client or sender
//! seen again costs no query until its records expire.
//!
//! An answer is read only for the name asked: hickory hands over the answer
//! section as the server sent it when it holds a record of the asked name and
//! type, so a record of another name beside it (a broken or hostile server, a
//! spoofed answer) would otherwise count. [`of_the_name`] keeps the records of
//! the asked name and of the CNAME chain from it (hickory keeps the chain's
//! CNAMEs and follows at most 8 of them).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::lookup::Lookup;
use hickory_resolver::proto::rr::{Name, RData, Record};
use hickory_resolver::TokioResolver;
use hickory_resolver::net::NetError;

use crate::{LookupOutcome, MailExchangers, Pending, Resolver};

/// Answers the cache holds (hickory counts responses, not bytes): bounded, so a
/// flood of distinct names cannot grow memory. An answer over TCP may be 64 KB
/// and hickory then holds about 1 MB for it, so 1,024 answers bound a hostile
/// zone's worst case near 1 GB per resolver (docs/decisions.md, "Hostile DNS
/// answers"); ordinary answers are under a kilobyte, and a local recursive
/// resolver caches behind this one.
pub const CACHE_ENTRIES: u64 = 1024;

/// The hickory resolver as configured: `server` (`ip:port`), or the system's
/// resolvers when `None`; each query within `timeout`; a cache of
/// [`CACHE_ENTRIES`] answers honouring their TTLs.
pub fn configured_resolver(server: Option<SocketAddr>, timeout: Duration) -> Result<TokioResolver, NetError> {
    let mut builder = match server {
        Some(address) => {
            let mut name_server = NameServerConfig::udp_and_tcp(address.ip());
            for connection in &mut name_server.connections {
                connection.port = address.port();
            }
            let mut builder = TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![name_server]),
                TokioRuntimeProvider::default(),
            );
            // A configured server answers everything: `/etc/hosts` would name
            // 127.0.0.1 `localhost` whatever the server's PTR says.
            builder.options_mut().use_hosts_file = ResolveHosts::Never;
            builder
        }
        None => TokioResolver::builder_tokio()?,
    };
    let options = builder.options_mut();
    options.timeout = timeout;
    options.cache_size = CACHE_ENTRIES;
    builder.build()
}

/// DNS through hickory.
pub struct DnsResolver {
    resolver: TokioResolver,
}

impl DnsResolver {
    /// Asks `server` (`ip:port`), or the system's resolvers when `None`, each
    /// query within `timeout` ([`configured_resolver`]).
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<DnsResolver, NetError> {
        Ok(DnsResolver { resolver: configured_resolver(server, timeout)? })
    }

    /// Wraps a resolver built elsewhere (sharing its cache).
    pub fn with_resolver(resolver: TokioResolver) -> DnsResolver {
        DnsResolver { resolver }
    }

    /// The hickory resolver, to share with what speaks hickory itself (mail-auth).
    pub fn resolver(&self) -> &TokioResolver {
        &self.resolver
    }
}

/// `name` as a fully qualified name (a trailing dot), so no search domain of the
/// system's configuration is tried first.
fn absolute(name: &str) -> String {
    if name.ends_with('.') { name.to_owned() } else { format!("{name}.") }
}

/// The most CNAMEs of one answer followed from the asked name. Hickory follows
/// at most 8 across queries; one answer could hold thousands (a hostile zone's
/// 64 KB over TCP), and each name of the chain costs a pass over the answer.
const CNAME_CHAIN_MAX: usize = 16;

/// The records of `lookup`'s answer section that are about the name asked:
/// owned by it or by a name the CNAME records of the answer lead to from it
/// (each name once: a loop ends; at most [`CNAME_CHAIN_MAX`] of them). Names
/// compare without case; the asked name is made fully qualified first, as
/// every name read off the wire is (hickory's `Name` equality tells
/// `example.org` from `example.org.`).
fn of_the_name(lookup: &Lookup) -> impl Iterator<Item = &Record> {
    let mut asked = lookup.query().name().clone();
    asked.set_fqdn(true);
    let mut names: Vec<Name> = vec![asked];
    let mut at = 0;
    while at < names.len() {
        for record in lookup.answers() {
            if names.len() > CNAME_CHAIN_MAX {
                break;
            }
            if let RData::CNAME(target) = &record.data
                && record.name == names[at]
                && !names.contains(&target.0)
            {
                names.push(target.0.clone());
            }
        }
        at += 1;
    }
    lookup.answers().iter().filter(move |record| names.contains(&record.name))
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
                    let hosts: Vec<(u16, String)> = of_the_name(&lookup)
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
                    of_the_name(&lookup)
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

    fn ipv4<'a>(&'a self, name: &'a str) -> Pending<'a, Vec<Ipv4Addr>> {
        Box::pin(async move {
            match self.resolver.ipv4_lookup(absolute(name)).await {
                Ok(lookup) => LookupOutcome::Answer(
                    of_the_name(&lookup)
                        .filter_map(|record| match &record.data {
                            RData::A(a) => Some(a.0),
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
                    of_the_name(&lookup)
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

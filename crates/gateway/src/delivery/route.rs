//! Where a queue entry goes: a configured domain's `destination`, or for anything
//! else (bounces to outside senders) the domain's MX hosts.

use std::net::SocketAddr;

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::RData;

use crate::config::Config;

/// Why no address could be found.
pub enum RouteError {
    /// Retry later (DNS timeout, SERVFAIL, a destination name that did not resolve).
    Temporary(String),
    /// Never deliverable (the domain does not exist, or publishes a null MX).
    Permanent(String),
}

/// The addresses to try, in order, and the name to present for TLS.
pub async fn resolve(config: &Config, resolver: &TokioResolver, route: &str) -> Result<(Vec<SocketAddr>, String), RouteError> {
    if let Some(domain) = config.domains.iter().find(|domain| domain.name == route) {
        let host = domain.destination.rsplit_once(':').map(|(host, _)| host.trim_matches(['[', ']'])).unwrap_or_default();
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host(domain.destination.as_str())
            .await
            .map_err(|error| RouteError::Temporary(format!("destination {} does not resolve: {error}", domain.destination)))?
            .collect();
        return Ok((addresses, host.to_owned()));
    }
    let mut exchanges: Vec<(u16, String)> = match resolver.mx_lookup(route).await {
        Ok(lookup) => lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::MX(mx) => Some((mx.preference, mx.exchange.to_utf8())),
                _ => None,
            })
            .collect(),
        Err(error) if error.is_nx_domain() => return Err(RouteError::Permanent(format!("550 5.4.4 Unrouteable address: {route} does not exist"))),
        Err(error) if error.is_no_records_found() => vec![(0, route.to_owned())],
        Err(error) => return Err(RouteError::Temporary(format!("MX lookup for {route} failed: {error}"))),
    };
    exchanges.sort();
    if exchanges.iter().any(|(_, exchange)| exchange == "." || exchange.is_empty()) {
        return Err(RouteError::Permanent(format!("550 5.4.4 Unrouteable address: {route} accepts no mail (null MX)")));
    }
    let mut addresses = Vec::new();
    for (_, exchange) in &exchanges {
        if let Ok(ips) = resolver.lookup_ip(exchange.as_str()).await {
            addresses.extend(ips.iter().map(|ip| SocketAddr::new(ip, 25)));
        }
    }
    if addresses.is_empty() {
        return Err(RouteError::Temporary(format!("no address for the mail exchangers of {route}")));
    }
    let name = exchanges.first().map(|(_, exchange)| exchange.trim_end_matches('.').to_owned()).unwrap_or_default();
    Ok((addresses, name))
}

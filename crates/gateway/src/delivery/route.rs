//! Where a queue entry goes: a filtered domain's `destination` (the file's or
//! one added through the API; a domain removed after the entry was queued keeps
//! the destination it had), or for anything else (outgoing mail, bounces to
//! outside senders) `[outgoing] smarthost` when set, else the domain's MX hosts.

use std::net::SocketAddr;
use std::time::Duration;

use sluice_lookup::{Gathering, LookupOutcome, MailExchangers, Resolver};

use crate::config::Config;
use crate::domains::DomainSet;

/// Why no address could be found.
#[derive(Debug, PartialEq, Eq)]
pub enum RouteError {
    /// Retry later (DNS timeout, SERVFAIL, a destination name that did not resolve).
    Temporary(String),
    /// Never deliverable (the domain does not exist, or publishes a null MX).
    Permanent(String),
}

/// The addresses to try, in order, and the name to present for TLS, for an
/// entry queued at `queued_at_ms` (`i64::MAX` for a connection that delivers
/// nothing queued, such as a callout). Every DNS lookup has `lookup_timeout`;
/// the whole resolution four times that.
pub async fn resolve(
    config: &Config,
    domains: &DomainSet,
    resolver: &dyn Resolver,
    lookup_timeout: Duration,
    route: &str,
    queued_at_ms: i64,
) -> Result<(Vec<SocketAddr>, String), RouteError> {
    if let Some(destination) = domains.destination_of_route(route, queued_at_ms) {
        return by_name(destination).await;
    }
    if let Some(smarthost) = &config.outgoing.smarthost {
        return by_name(smarthost).await;
    }
    by_mx(resolver, &Gathering::new(lookup_timeout * 4, lookup_timeout), route).await
}

/// A configured `host:port` (a domain's destination, the smarthost).
async fn by_name(destination: &str) -> Result<(Vec<SocketAddr>, String), RouteError> {
    let host = destination.rsplit_once(':').map(|(host, _)| host.trim_matches(['[', ']'])).unwrap_or_default();
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host(destination)
        .await
        .map_err(|error| RouteError::Temporary(format!("destination {destination} does not resolve: {error}")))?
        .collect();
    Ok((addresses, host.to_owned()))
}

/// The mail exchangers of `route` and their addresses (RFC 5321 5.1).
async fn by_mx(resolver: &dyn Resolver, gathering: &Gathering, route: &str) -> Result<(Vec<SocketAddr>, String), RouteError> {
    let mut exchanges = match gathering.run(format!("MX {route}"), resolver.mx(route)).await {
        LookupOutcome::Answer(MailExchangers::Hosts(hosts)) => hosts,
        LookupOutcome::Answer(MailExchangers::Implicit) => vec![(0, route.to_owned())],
        LookupOutcome::NotFound => {
            return Err(RouteError::Permanent(format!("550 5.4.4 Unrouteable address: {route} does not exist")));
        }
        LookupOutcome::TimedOut => return Err(RouteError::Temporary(format!("MX lookup for {route} timed out"))),
        LookupOutcome::Failed(why) => return Err(RouteError::Temporary(format!("MX lookup for {route} failed: {why}"))),
    };
    exchanges.sort();
    if exchanges.iter().any(|(_, exchange)| exchange == "." || exchange.is_empty()) {
        return Err(RouteError::Permanent(format!("550 5.4.4 Unrouteable address: {route} accepts no mail (null MX)")));
    }
    let mut addresses = Vec::new();
    for (_, exchange) in &exchanges {
        if let LookupOutcome::Answer(ips) = gathering.run(format!("A/AAAA {exchange}"), resolver.ips(exchange)).await {
            addresses.extend(ips.iter().map(|ip| SocketAddr::new(*ip, 25)));
        }
    }
    if addresses.is_empty() {
        return Err(RouteError::Temporary(format!("no address for the mail exchangers of {route}")));
    }
    let name = exchanges.first().map(|(_, exchange)| exchange.trim_end_matches('.').to_owned()).unwrap_or_default();
    Ok((addresses, name))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::net::IpAddr;

    use sluice_lookup::Pending;

    use super::*;

    /// Chosen answers; anything else fails like a broken server.
    #[derive(Default)]
    struct Zone {
        mx: HashMap<&'static str, LookupOutcome<MailExchangers>>,
        ips: HashMap<&'static str, Vec<IpAddr>>,
    }

    impl Resolver for Zone {
        fn mx<'a>(&'a self, domain: &'a str) -> Pending<'a, MailExchangers> {
            let outcome = self.mx.get(domain).cloned().unwrap_or(LookupOutcome::Failed("SERVFAIL".to_owned()));
            Box::pin(async move { outcome })
        }
        fn ips<'a>(&'a self, host: &'a str) -> Pending<'a, Vec<IpAddr>> {
            let outcome = self.ips.get(host).cloned().map_or(LookupOutcome::NotFound, LookupOutcome::Answer);
            Box::pin(async move { outcome })
        }
        fn txt<'a>(&'a self, _name: &'a str) -> Pending<'a, Vec<String>> {
            Box::pin(async { LookupOutcome::NotFound })
        }
    }

    async fn route(zone: &Zone, domain: &str) -> Result<(Vec<SocketAddr>, String), RouteError> {
        by_mx(zone, &Gathering::new(Duration::from_secs(4), Duration::from_secs(1)), domain).await
    }

    #[tokio::test]
    async fn our_domains_go_to_their_destination_the_rest_to_the_smarthost() {
        let text = "hostname = \"mx.example.net\"\ndata_dir = \"/tmp/sluice\"\n[outgoing]\nsmarthost = \"127.0.0.1:2526\"\n\
                    [[domains]]\nname = \"example.net\"\ndestination = \"127.0.0.1:2525\"\n";
        let config = Config::parse(std::path::Path::new("sluice.toml"), text).unwrap();
        // The zone answers nothing: neither route may ask it.
        let zone = Zone::default();
        let domains = DomainSet::from_file(&config);
        let ours = resolve(&config, &domains, &zone, Duration::from_secs(1), "example.net", 0).await.unwrap();
        assert_eq!(ours.0, vec!["127.0.0.1:2525".parse().unwrap()]);
        let world = resolve(&config, &domains, &zone, Duration::from_secs(1), "elsewhere.example", 0).await.unwrap();
        assert_eq!(world, (vec!["127.0.0.1:2526".parse().unwrap()], "127.0.0.1".to_owned()));
    }

    #[tokio::test]
    async fn mail_exchangers_in_preference_order_and_the_dns_failures() {
        let mut zone = Zone::default();
        let hosts = vec![(20, "mx2.example.org".to_owned()), (10, "mx1.example.org".to_owned())];
        zone.mx.insert("example.org", LookupOutcome::Answer(MailExchangers::Hosts(hosts)));
        zone.ips.insert("mx1.example.org", vec!["192.0.2.1".parse().unwrap()]);
        zone.ips.insert("mx2.example.org", vec!["192.0.2.2".parse().unwrap()]);
        zone.mx.insert("implicit.example", LookupOutcome::Answer(MailExchangers::Implicit));
        zone.ips.insert("implicit.example", vec!["192.0.2.9".parse().unwrap()]);
        zone.mx.insert("gone.example", LookupOutcome::NotFound);
        zone.mx.insert("null.example", LookupOutcome::Answer(MailExchangers::Hosts(vec![(0, ".".to_owned())])));
        zone.mx.insert("slow.example", LookupOutcome::TimedOut);

        let (addresses, name) = route(&zone, "example.org").await.expect("routed");
        assert_eq!(addresses, ["192.0.2.1:25".parse().unwrap(), "192.0.2.2:25".parse().unwrap()]);
        assert_eq!(name, "mx1.example.org");
        assert_eq!(route(&zone, "implicit.example").await.map(|(a, _)| a), Ok(vec!["192.0.2.9:25".parse().unwrap()]));
        assert!(matches!(route(&zone, "gone.example").await, Err(RouteError::Permanent(_))));
        assert!(matches!(route(&zone, "null.example").await, Err(RouteError::Permanent(_))));
        assert!(matches!(route(&zone, "slow.example").await, Err(RouteError::Temporary(_))));
        assert!(matches!(route(&zone, "broken.example").await, Err(RouteError::Temporary(_))), "SERVFAIL is temporary");
    }
}

//! A real DNS server for the test suite. The resolver under test (hickory, and
//! mail-auth through it) talks to it over the network exactly as it would to a
//! production server, so what the tests check is what runs: UDP, TCP, NXDOMAIN
//! versus an empty answer, SERVFAIL, answers that come too late or never.
//!
//! The server is hickory-server's, listening on `127.0.0.1:<free port>` (UDP and
//! TCP on the same port) with a request handler that answers from records the
//! test adds at run time. It runs on a runtime of its own in a background
//! thread, so blocking tests (which drive the `sluice` binary) and `#[tokio::test]`s
//! use it the same way; dropping the [`TestDns`] stops it.
//!
//! ```ignore
//! let dns = TestDns::start();
//! dns.add("example.test", "TXT", "v=spf1 ip4:127.0.0.1 -all");
//! dns.add("example.test", "MX", "10 mx.example.test");
//! dns.fail("broken.test");                 // SERVFAIL
//! dns.delay("slow.test", Duration::from_secs(3));
//! let config = format!("[dns]\nresolver = \"{}\"\n", dns.address());
//! ```
//!
//! Names are matched without case and without the trailing dot. A name with no
//! record at all is NXDOMAIN; a name with records of other types answers
//! NOERROR with nothing (NODATA), as an authoritative server would. Both carry
//! an SOA record in the authority section whose minimum is [`TTL`], so a
//! resolver caches the negative answer as it would a real zone's.
//!
//! A CNAME loop or chain is added as records (`dns.add("a.test", "CNAME",
//! "b.test")`), thousands of records by adding them (hickory-server truncates
//! the UDP answer, the resolver asks again over TCP). What correct DNS cannot
//! say (garbage, a wrong query ID, an answer for another question, a message
//! cut short, an answer dribbled a byte at a time) is [`RawDns`]'s ([`raw`]).

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hickory_server::proto::op::{Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, AAAA, CNAME, MX, PTR, SOA, TXT};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::net::runtime::Time;
use hickory_server::zone_handler::MessageResponseBuilder;

pub mod raw;
pub use raw::{RawDns, RawQuery, RawRecord, RawReply};

/// The time-to-live of every record served: long enough that a cache keeps it
/// for the whole of a test, so cache tests can count queries.
pub const TTL: u32 = 300;

/// How the server treats the queries for one name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers from its records (the default).
    Answer,
    /// Answers SERVFAIL.
    ServFail,
    /// Answers from its records after this long.
    Delay(Duration),
    /// Never answers (the query is dropped, as by a dead server).
    Silent,
}

/// One query the server received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// Lower case, without the trailing dot.
    pub name: String,
    /// `A`, `TXT`, ...
    pub record_type: String,
}

#[derive(Default)]
struct Zone {
    records: HashMap<String, Vec<Record>>,
    behaviours: HashMap<String, Behaviour>,
    /// Applies to every name without a behaviour of its own.
    everything: Option<Behaviour>,
    queries: Vec<Query>,
}

/// A running DNS server; stopped when dropped.
pub struct TestDns {
    address: SocketAddr,
    zone: Arc<Mutex<Zone>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn name(text: &str) -> Name {
    let mut name = Name::from_ascii(text).unwrap_or_else(|error| panic!("test DNS: bad name {text:?}: {error}"));
    name.set_fqdn(true);
    name
}

/// The record data for `record_type` written as in a zone file (without quotes
/// for TXT: the whole text is one string, split in 255-octet pieces as RFC 7208
/// 3.3 expects a long record to be published).
fn rdata(record_type: &str, data: &str) -> RData {
    match record_type.to_ascii_uppercase().as_str() {
        "A" => RData::A(A(data.parse::<Ipv4Addr>().unwrap_or_else(|_| panic!("test DNS: bad A {data:?}")))),
        "AAAA" => RData::AAAA(AAAA(data.parse::<Ipv6Addr>().unwrap_or_else(|_| panic!("test DNS: bad AAAA {data:?}")))),
        "TXT" => {
            let pieces: Vec<String> = data
                .as_bytes()
                .chunks(255)
                .map(|piece| String::from_utf8_lossy(piece).into_owned())
                .collect();
            RData::TXT(TXT::new(if pieces.is_empty() { vec![String::new()] } else { pieces }))
        }
        "MX" => {
            let (preference, exchange) = data.split_once(' ').unwrap_or_else(|| panic!("test DNS: MX needs \"pref host\", got {data:?}"));
            RData::MX(MX::new(preference.trim().parse().expect("test DNS: MX preference"), name(exchange.trim())))
        }
        "PTR" => RData::PTR(PTR(name(data))),
        "CNAME" => RData::CNAME(CNAME(name(data))),
        other => panic!("test DNS: record type {other} not supported"),
    }
}

/// A UDP socket and a TCP listener on the same free port of 127.0.0.1 (so a
/// truncated UDP answer is retried over TCP there). The port the system picks
/// for UDP may be taken for TCP by another test's connection: then another port.
fn bind_udp_and_tcp() -> (std::net::UdpSocket, std::net::TcpListener) {
    for _ in 0..50 {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("test DNS: bind UDP");
        let address = udp.local_addr().expect("test DNS: UDP address");
        if let Ok(tcp) = std::net::TcpListener::bind(address) {
            return (udp, tcp);
        }
    }
    panic!("test DNS: no port free for both UDP and TCP after 50 tries");
}

impl TestDns {
    /// Starts a server with no records on a free port of 127.0.0.1.
    pub fn start() -> TestDns {
        let zone = Arc::new(Mutex::new(Zone::default()));
        let (udp, tcp) = bind_udp_and_tcp();
        let address = udp.local_addr().expect("test DNS: UDP address");
        udp.set_nonblocking(true).expect("test DNS: non-blocking UDP");
        tcp.set_nonblocking(true).expect("test DNS: non-blocking TCP");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handler = Handler { zone: zone.clone() };
        let thread = std::thread::Builder::new()
            .name("test-dns".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("test DNS: runtime");
                runtime.block_on(async move {
                    let mut server = hickory_server::Server::new(handler);
                    server.register_socket(tokio::net::UdpSocket::from_std(udp).expect("test DNS: UDP socket"));
                    server.register_listener(
                        tokio::net::TcpListener::from_std(tcp).expect("test DNS: TCP listener"),
                        Duration::from_secs(5),
                        64 * 1024,
                    );
                    let _ = stopped.await;
                    server.shutdown_token().cancel();
                    // Silent and delayed answers may still be pending: do not wait for them.
                    let _ = tokio::time::timeout(Duration::from_secs(1), server.block_until_done()).await;
                });
            })
            .expect("test DNS: thread");
        TestDns { address, zone, stop: Some(stop), thread: Some(thread) }
    }

    /// Where the server listens (`[dns] resolver` of the configuration under test).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    fn zone(&self) -> MutexGuard<'_, Zone> {
        self.zone.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a record: `dns.add("example.test", "MX", "10 mx.example.test")`.
    pub fn add(&self, owner: &str, record_type: &str, data: &str) -> &TestDns {
        let record = Record::from_rdata(name(owner), TTL, rdata(record_type, data));
        self.zone().records.entry(key(owner)).or_default().push(record);
        self
    }

    /// Adds the records of a zone-file-like text: one `name TYPE data` per line,
    /// blank lines and lines starting with `;` or `#` skipped; a TXT data may be
    /// in double quotes (removed; several quoted strings are joined).
    pub fn add_lines(&self, text: &str) -> &TestDns {
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
                continue;
            }
            let mut fields = line.splitn(3, char::is_whitespace);
            let (Some(owner), Some(record_type)) = (fields.next(), fields.next()) else {
                panic!("test DNS: line needs \"name TYPE data\": {line:?}");
            };
            let data = fields.next().unwrap_or("").trim();
            let data = if record_type.eq_ignore_ascii_case("TXT") && data.starts_with('"') {
                data.split('"').skip(1).step_by(2).collect::<String>()
            } else {
                data.to_owned()
            };
            self.add(owner, record_type, &data);
        }
        self
    }

    /// Removes every record of `owner` (it becomes NXDOMAIN).
    pub fn remove(&self, owner: &str) -> &TestDns {
        self.zone().records.remove(&key(owner));
        self
    }

    /// How queries for `owner` are treated from now on.
    pub fn behave(&self, owner: &str, behaviour: Behaviour) -> &TestDns {
        self.zone().behaviours.insert(key(owner), behaviour);
        self
    }

    /// Queries for `owner` get SERVFAIL.
    pub fn fail(&self, owner: &str) -> &TestDns {
        self.behave(owner, Behaviour::ServFail)
    }

    /// Queries for `owner` are answered after `delay`.
    pub fn delay(&self, owner: &str, delay: Duration) -> &TestDns {
        self.behave(owner, Behaviour::Delay(delay))
    }

    /// How queries for every name without a behaviour of its own are treated
    /// (`Behaviour::Silent`: the server looks dead to the resolver).
    pub fn behave_everywhere(&self, behaviour: Behaviour) -> &TestDns {
        self.zone().everything = Some(behaviour);
        self
    }

    /// The queries received so far, in order.
    pub fn queries(&self) -> Vec<Query> {
        self.zone().queries.clone()
    }

    /// How many queries for `owner` (any type) were received.
    pub fn queries_for(&self, owner: &str) -> usize {
        let owner = key(owner);
        self.zone().queries.iter().filter(|query| query.name == owner).count()
    }
}

impl Drop for TestDns {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Handler {
    zone: Arc<Mutex<Zone>>,
}

/// What the server does with one query, decided under the lock.
struct Plan {
    behaviour: Behaviour,
    code: ResponseCode,
    answers: Vec<Record>,
}

impl Handler {
    fn plan(&self, owner: &str, record_type: RecordType) -> Plan {
        let mut zone = self.zone.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        zone.queries.push(Query { name: owner.to_owned(), record_type: record_type.to_string() });
        let behaviour = zone.behaviours.get(owner).copied().or(zone.everything).unwrap_or(Behaviour::Answer);
        let Some(records) = zone.records.get(owner) else {
            return Plan { behaviour, code: ResponseCode::NXDomain, answers: Vec::new() };
        };
        let answers = records
            .iter()
            .filter(|record| {
                let found = record.record_type();
                found == record_type || record_type == RecordType::ANY || found == RecordType::CNAME
            })
            .cloned()
            .collect();
        Plan { behaviour, code: ResponseCode::NoError, answers }
    }
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(&self, request: &Request, mut response_handle: R) -> ResponseInfo {
        let query = request.queries.queries().first().cloned();
        let plan = match &query {
            Some(query) => self.plan(&key(&query.name().to_string()), query.query_type()),
            None => Plan { behaviour: Behaviour::Answer, code: ResponseCode::FormErr, answers: Vec::new() },
        };
        match plan.behaviour {
            Behaviour::Answer => {}
            Behaviour::Delay(delay) => tokio::time::sleep(delay).await,
            // Long past any deadline under test; the task ends when the server stops.
            Behaviour::Silent => tokio::time::sleep(Duration::from_secs(3600)).await,
            Behaviour::ServFail => {}
        }
        let code = if plan.behaviour == Behaviour::ServFail { ResponseCode::ServFail } else { plan.code };
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.authoritative = true;
        metadata.recursion_available = true;
        metadata.response_code = code;
        let answers = if code == ResponseCode::NoError { plan.answers } else { Vec::new() };
        // A negative answer names the zone's SOA: its minimum is the negative TTL.
        let negative = answers.is_empty() && matches!(code, ResponseCode::NoError | ResponseCode::NXDomain);
        let soa = negative.then(|| {
            let rdata = SOA::new(name("ns.test"), name("hostmaster.test"), 1, 3600, 600, 86400, TTL);
            Record::from_rdata(Name::root(), TTL, RData::SOA(rdata))
        });
        let response = MessageResponseBuilder::from_message_request(request).build(metadata, answers.iter(), [], soa.iter(), []);
        match response_handle.send_response(response).await {
            Ok(info) => info,
            Err(_) => {
                let mut header = hickory_server::proto::op::Header { metadata: Metadata::response_from_request(&request.metadata), counts: Default::default() };
                header.metadata.response_code = ResponseCode::ServFail;
                header.into()
            }
        }
    }
}

#[cfg(test)]
mod tests;

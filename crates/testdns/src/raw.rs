//! A DNS server that answers with chosen bytes: what a broken or hostile list
//! server, or a spoofer on the path, sends. [`TestDns`](crate::TestDns) speaks
//! correct DNS through hickory-server, which cannot send garbage, a wrong query
//! ID, an answer for another question, a message cut short or an answer
//! dribbled a byte at a time over TCP; this one can.
//!
//! Every query (UDP or TCP, on the same port of 127.0.0.1) is handed to the
//! test's function, which returns the [`RawReply`]; [`RawQuery::response`]
//! writes a well-formed answer to start from (then changed as the test likes).
//!
//! ```ignore
//! let dns = RawDns::start(|query| {
//!     if query.name.ends_with(".bl.test") { RawReply::Send(b"\xde\xadgarbage".to_vec()) }
//!     else { RawReply::Send(query.response(RCODE_NXDOMAIN, false, &[])) }
//! });
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The response code of an answer that says the name does not exist.
pub const RCODE_NXDOMAIN: u8 = 3;
/// The response code of a good answer.
pub const RCODE_NOERROR: u8 = 0;
/// The record type of an A record.
pub const TYPE_A: u16 = 1;
/// The record type of a CNAME record.
pub const TYPE_CNAME: u16 = 5;

/// One query as received.
#[derive(Clone, Debug)]
pub struct RawQuery {
    /// The query's ID (the first two octets).
    pub id: u16,
    /// The asked name, lower case, without the trailing dot.
    pub name: String,
    /// The asked type (1: A, 16: TXT, ...).
    pub record_type: u16,
    /// Whether it came over TCP.
    pub tcp: bool,
    /// The question section as received (name, type, class).
    question: Vec<u8>,
    /// The recursion-desired bit, echoed in the answer.
    recursion_desired: bool,
}

/// What the server does with one query.
#[derive(Clone, Debug)]
pub enum RawReply {
    /// Sends these bytes (over TCP behind their two-octet length).
    Send(Vec<u8>),
    /// Over TCP: the length, then the bytes one at a time, `pause` apart. Over
    /// UDP: the bytes whole after `pause` times their number.
    Dribble { bytes: Vec<u8>, pause: Duration },
    /// Sends nothing.
    Drop,
}

/// One record of an answer written by [`RawQuery::response`].
#[derive(Clone, Debug)]
pub struct RawRecord {
    /// The owner; `None` is the asked name (a pointer to the question).
    pub owner: Option<String>,
    pub record_type: u16,
    pub data: Vec<u8>,
}

impl RawRecord {
    /// An A record of the asked name.
    pub fn a(ip: Ipv4Addr) -> RawRecord {
        RawRecord { owner: None, record_type: TYPE_A, data: ip.octets().to_vec() }
    }

    /// An A record of another name than the asked one.
    pub fn a_of(owner: &str, ip: Ipv4Addr) -> RawRecord {
        RawRecord { owner: Some(owner.to_owned()), ..RawRecord::a(ip) }
    }
}

/// `name` in DNS wire form (labels, then the root), uncompressed.
pub fn wire_name(name: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(name.len() + 2);
    for label in name.trim_end_matches('.').split('.').filter(|label| !label.is_empty()) {
        bytes.push(u8::try_from(label.len()).expect("raw DNS: label over 255 octets"));
        bytes.extend_from_slice(label.as_bytes());
    }
    bytes.push(0);
    bytes
}

impl RawQuery {
    /// Reads a query; `None` when it is not one this server can answer (then it
    /// sends nothing).
    fn parse(bytes: &[u8], tcp: bool) -> Option<RawQuery> {
        let header = bytes.get(..12)?;
        let id = u16::from_be_bytes([header[0], header[1]]);
        let mut at = 12;
        let mut labels = Vec::new();
        loop {
            let length = usize::from(*bytes.get(at)?);
            at += 1;
            if length == 0 {
                break;
            }
            if length > 63 {
                return None;
            }
            labels.push(String::from_utf8_lossy(bytes.get(at..at + length)?).to_ascii_lowercase());
            at += length;
        }
        let fixed = bytes.get(at..at + 4)?;
        Some(RawQuery {
            id,
            name: labels.join("."),
            record_type: u16::from_be_bytes([fixed[0], fixed[1]]),
            tcp,
            question: bytes[12..at + 4].to_vec(),
            recursion_desired: header[2] & 0x01 != 0,
        })
    }

    /// A well-formed answer to this query: its ID and question, `rcode`, the TC
    /// bit when `truncated`, and `records` (TTL 300) in the answer section.
    pub fn response(&self, rcode: u8, truncated: bool, records: &[RawRecord]) -> Vec<u8> {
        let mut flags: u16 = 0x8000 | 0x0400 | 0x0080 | u16::from(rcode & 0x0f);
        if truncated {
            flags |= 0x0200;
        }
        if self.recursion_desired {
            flags |= 0x0100;
        }
        let count = u16::try_from(records.len()).expect("raw DNS: at most 65535 records");
        let mut bytes = Vec::with_capacity(12 + self.question.len() + records.len() * 16);
        for field in [self.id, flags, 1, count, 0, 0] {
            bytes.extend_from_slice(&field.to_be_bytes());
        }
        bytes.extend_from_slice(&self.question);
        for record in records {
            match &record.owner {
                None => bytes.extend_from_slice(&[0xc0, 0x0c]),
                Some(owner) => bytes.extend(wire_name(owner)),
            }
            bytes.extend_from_slice(&record.record_type.to_be_bytes());
            bytes.extend_from_slice(&1u16.to_be_bytes());
            bytes.extend_from_slice(&crate::TTL.to_be_bytes());
            let length = u16::try_from(record.data.len()).expect("raw DNS: record data over 65535 octets");
            bytes.extend_from_slice(&length.to_be_bytes());
            bytes.extend_from_slice(&record.data);
        }
        bytes
    }
}

type Answerer = dyn Fn(&RawQuery) -> RawReply + Send + Sync;

/// A running raw server; stopped when dropped.
pub struct RawDns {
    address: SocketAddr,
    queries: Arc<Mutex<Vec<RawQuery>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RawDns {
    /// Starts a server on a free port of 127.0.0.1 (UDP and TCP) that answers
    /// every query with what `answer` returns.
    pub fn start(answer: impl Fn(&RawQuery) -> RawReply + Send + Sync + 'static) -> RawDns {
        let (udp, tcp) = crate::bind_udp_and_tcp();
        let address = udp.local_addr().expect("raw DNS: UDP address");
        udp.set_nonblocking(true).expect("raw DNS: non-blocking UDP");
        tcp.set_nonblocking(true).expect("raw DNS: non-blocking TCP");
        let answer: Arc<Answerer> = Arc::new(answer);
        let queries = Arc::new(Mutex::new(Vec::new()));
        let seen = queries.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("raw-dns".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("raw DNS: runtime");
                runtime.block_on(async move {
                    let udp = Arc::new(tokio::net::UdpSocket::from_std(udp).expect("raw DNS: UDP socket"));
                    let tcp = tokio::net::TcpListener::from_std(tcp).expect("raw DNS: TCP listener");
                    tokio::select! {
                        () = serve_udp(udp, answer.clone(), seen.clone()) => {}
                        () = serve_tcp(tcp, answer, seen) => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime ends every dribbling or waiting task.
            })
            .expect("raw DNS: thread");
        RawDns { address, queries, stop: Some(stop), thread: Some(thread) }
    }

    /// Where the server listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The queries received so far, in order.
    pub fn queries(&self) -> Vec<RawQuery> {
        self.queries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

impl Drop for RawDns {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn reply_to(answer: &Answerer, queries: &Mutex<Vec<RawQuery>>, bytes: &[u8], tcp: bool) -> RawReply {
    let Some(query) = RawQuery::parse(bytes, tcp) else { return RawReply::Drop };
    queries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(query.clone());
    answer(&query)
}

async fn serve_udp(socket: Arc<tokio::net::UdpSocket>, answer: Arc<Answerer>, queries: Arc<Mutex<Vec<RawQuery>>>) {
    let mut buffer = vec![0u8; 4096];
    loop {
        let Ok((length, from)) = socket.recv_from(&mut buffer).await else { continue };
        let reply = reply_to(answer.as_ref(), &queries, &buffer[..length], false);
        let socket = socket.clone();
        tokio::spawn(async move {
            let bytes = match reply {
                RawReply::Send(bytes) => bytes,
                RawReply::Dribble { bytes, pause } => {
                    tokio::time::sleep(pause * u32::try_from(bytes.len()).unwrap_or(u32::MAX)).await;
                    bytes
                }
                RawReply::Drop => return,
            };
            let _ = socket.send_to(&bytes, from).await;
        });
    }
}

async fn serve_tcp(listener: tokio::net::TcpListener, answer: Arc<Answerer>, queries: Arc<Mutex<Vec<RawQuery>>>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else { continue };
        let answer = answer.clone();
        let queries = queries.clone();
        tokio::spawn(async move {
            loop {
                let mut length = [0u8; 2];
                if stream.read_exact(&mut length).await.is_err() {
                    return;
                }
                let mut bytes = vec![0u8; usize::from(u16::from_be_bytes(length))];
                if stream.read_exact(&mut bytes).await.is_err() {
                    return;
                }
                let framed = |bytes: &[u8]| {
                    let length = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
                    let mut framed = length.to_be_bytes().to_vec();
                    framed.extend_from_slice(&bytes[..usize::from(length)]);
                    framed
                };
                let written = match reply_to(answer.as_ref(), &queries, &bytes, true) {
                    RawReply::Send(bytes) => stream.write_all(&framed(&bytes)).await,
                    RawReply::Dribble { bytes, pause } => {
                        let mut result = Ok(());
                        for byte in framed(&bytes) {
                            result = stream.write_all(&[byte]).await;
                            if result.is_err() {
                                break;
                            }
                            tokio::time::sleep(pause).await;
                        }
                        result
                    }
                    RawReply::Drop => Ok(()),
                };
                if written.is_err() {
                    return;
                }
            }
        });
    }
}

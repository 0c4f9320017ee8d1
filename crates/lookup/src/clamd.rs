//! A clamd client: the `INSTREAM` command over TCP or a Unix socket.
//!
//! The protocol (clamd(8)): send `zINSTREAM\0`, then the bytes in chunks, each
//! prefixed by its length as a 4-byte big-endian number, then a zero length; clamd
//! answers one NUL-terminated line: `stream: OK`, `stream: <signature> FOUND`, or
//! `<why> ERROR` (among them `INSTREAM size limit exceeded. ERROR` when the stream
//! passes its `StreamMaxLength`, after which it closes the connection).
//!
//! One connection per scan (clamd serves one command per connection without
//! `IDSESSION`, and a fresh connection cannot carry a half-read answer of the
//! last one). No deadline lives here: the caller runs each scan through
//! [`crate::Gathering`] with `[antivirus] timeout`, which drops the connection
//! when the time is up. Anything that is not a clean or infected answer is
//! [`LookupOutcome::Failed`] with clamd's words, so the check can refuse
//! temporarily rather than accept unscanned mail.

use std::path::PathBuf;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::{LookupOutcome, Pending, Scanned, Scanner};

/// Bytes sent per INSTREAM chunk. clamd reads chunks into a buffer of its own;
/// 64 KiB keeps the number of writes small without large frames.
pub const CHUNK: usize = 64 * 1024;

/// The longest answer read from clamd: a signature name is short, so anything
/// longer is a broken or hostile peer, not an answer.
const MAX_ANSWER: usize = 4096;

/// Where clamd listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClamdAddress {
    /// `host:port`, as written (resolved at each connection).
    Tcp(String),
    /// A Unix socket path (`unix:/run/clamav/clamd.ctl` in the configuration).
    Unix(PathBuf),
}

impl ClamdAddress {
    /// Reads the `[antivirus] clamd` value: `unix:/path` or `host:port`.
    pub fn parse(text: &str) -> Result<ClamdAddress, &'static str> {
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("expected a socket path after `unix:`, e.g. \"unix:/run/clamav/clamd.ctl\"");
            }
            return Ok(ClamdAddress::Unix(PathBuf::from(path)));
        }
        match text.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok_and(|port| port > 0) => {
                Ok(ClamdAddress::Tcp(text.to_owned()))
            }
            _ => Err("expected \"host:port\" (e.g. \"127.0.0.1:3310\") or \"unix:/path/to/clamd.ctl\""),
        }
    }
}

impl std::fmt::Display for ClamdAddress {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClamdAddress::Tcp(address) => write!(formatter, "{address}"),
            ClamdAddress::Unix(path) => write!(formatter, "unix:{}", path.display()),
        }
    }
}

/// A clamd daemon at one address.
#[derive(Clone, Debug)]
pub struct Clamd {
    pub address: ClamdAddress,
}

impl Scanner for Clamd {
    fn scan<'a>(&'a self, bytes: &'a [u8]) -> Pending<'a, Scanned> {
        Box::pin(async move {
            let result = match &self.address {
                ClamdAddress::Tcp(address) => match tokio::net::TcpStream::connect(address.as_str()).await {
                    Ok(stream) => instream(stream, bytes).await,
                    Err(error) => Err(format!("cannot connect to clamd at {address}: {error}")),
                },
                ClamdAddress::Unix(path) => match tokio::net::UnixStream::connect(path).await {
                    Ok(stream) => instream(stream, bytes).await,
                    Err(error) => Err(format!("cannot connect to clamd at unix:{}: {error}", path.display())),
                },
            };
            match result {
                Ok(answer) => parse_answer(&answer),
                Err(why) => LookupOutcome::Failed(why),
            }
        })
    }
}

/// Streams `bytes` and returns clamd's answer line (without the NUL). When clamd
/// stops reading (its size limit) the write fails; its answer is then read anyway,
/// since it says why.
async fn instream<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, bytes: &[u8]) -> Result<String, String> {
    let sent = send(&mut stream, bytes).await;
    let answer = read_answer(&mut stream).await;
    match (sent, answer) {
        (_, Ok(answer)) if !answer.is_empty() => Ok(answer),
        (Err(error), _) => Err(format!("clamd stopped reading the stream: {error}")),
        (Ok(()), Err(error)) => Err(format!("cannot read clamd's answer: {error}")),
        (Ok(()), Ok(_)) => Err("clamd closed the connection without an answer".to_owned()),
    }
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(b"zINSTREAM\0").await?;
    for chunk in bytes.chunks(CHUNK) {
        let length = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
        stream.write_all(&length.to_be_bytes()).await?;
        stream.write_all(chunk).await?;
    }
    stream.write_all(&0u32.to_be_bytes()).await?;
    stream.flush().await
}

async fn read_answer<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<String> {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 512];
    loop {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..read]);
        if answer.contains(&0) || answer.len() > MAX_ANSWER {
            break;
        }
    }
    let end = answer.iter().position(|&byte| byte == 0).unwrap_or(answer.len()).min(MAX_ANSWER);
    Ok(String::from_utf8_lossy(&answer[..end]).trim().to_owned())
}

/// clamd's answer line as an outcome.
pub fn parse_answer(answer: &str) -> LookupOutcome<Scanned> {
    let verdict = answer.strip_prefix("stream:").map(str::trim);
    match verdict {
        Some("OK") => LookupOutcome::Answer(Scanned::Clean),
        Some(found) if found.ends_with(" FOUND") => {
            let signature = found.trim_end_matches(" FOUND").trim();
            if signature.is_empty() {
                LookupOutcome::Failed(format!("clamd answered {answer:?}"))
            } else {
                LookupOutcome::Answer(Scanned::Infected(signature.to_owned()))
            }
        }
        _ => LookupOutcome::Failed(format!("clamd answered {answer:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_become_outcomes() {
        assert_eq!(parse_answer("stream: OK"), LookupOutcome::Answer(Scanned::Clean));
        assert_eq!(
            parse_answer("stream: Eicar-Test-Signature.UNOFFICIAL FOUND"),
            LookupOutcome::Answer(Scanned::Infected("Eicar-Test-Signature.UNOFFICIAL".to_owned()))
        );
        assert!(parse_answer("INSTREAM size limit exceeded. ERROR").is_unavailable());
        assert!(parse_answer("stream: lstat() failed ERROR").is_unavailable());
        assert!(parse_answer("stream:  FOUND").is_unavailable());
        assert!(parse_answer("").is_unavailable());
    }

    #[test]
    fn addresses_are_host_port_or_unix_paths() {
        assert_eq!(ClamdAddress::parse("127.0.0.1:3310"), Ok(ClamdAddress::Tcp("127.0.0.1:3310".to_owned())));
        assert_eq!(ClamdAddress::parse("[::1]:3310"), Ok(ClamdAddress::Tcp("[::1]:3310".to_owned())));
        assert_eq!(
            ClamdAddress::parse("unix:/run/clamav/clamd.ctl"),
            Ok(ClamdAddress::Unix(PathBuf::from("/run/clamav/clamd.ctl")))
        );
        for bad in ["", "unix:", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:99999", ":3310"] {
            assert!(ClamdAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// The bytes on the wire, as clamd reads them.
    #[tokio::test]
    async fn the_stream_is_framed_in_length_prefixed_chunks() {
        let (mut ours, mut theirs) = tokio::io::duplex(1 << 20);
        let message = vec![b'x'; CHUNK + 10];
        let server = tokio::spawn(async move {
            let mut received = Vec::new();
            let mut command = [0u8; 10];
            theirs.read_exact(&mut command).await.unwrap();
            assert_eq!(&command, b"zINSTREAM\0");
            loop {
                let mut length = [0u8; 4];
                theirs.read_exact(&mut length).await.unwrap();
                let length = u32::from_be_bytes(length) as usize;
                if length == 0 {
                    break;
                }
                let mut chunk = vec![0u8; length];
                theirs.read_exact(&mut chunk).await.unwrap();
                received.push(chunk.len());
            }
            theirs.write_all(b"stream: OK\0").await.unwrap();
            received
        });
        assert_eq!(instream(&mut ours, &message).await.as_deref(), Ok("stream: OK"));
        assert_eq!(server.await.unwrap(), [CHUNK, 10]);
    }

    #[tokio::test]
    async fn nobody_listening_is_a_failure_not_an_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        drop(listener);
        let clamd = Clamd { address: ClamdAddress::Tcp(address) };
        assert!(clamd.scan(b"hello").await.is_unavailable());
        let clamd = Clamd { address: ClamdAddress::Unix(PathBuf::from("/nonexistent/clamd.ctl")) };
        assert!(clamd.scan(b"hello").await.is_unavailable());
    }
}

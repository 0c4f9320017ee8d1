//! The client connection: buffered reads against a deadline, bounded command
//! lines, replies written in batches (PIPELINING), and the STARTTLS upgrade.
//!
//! A deadline covers a whole command line (or a whole DATA phase, see
//! `session.rs`), not each read: a client that trickles a byte at a time gets no
//! more time than one that sends the line at once.

use std::io;
use std::time::Duration;

use tokio::time::Instant;

use sluice_model::SmtpReply;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Longest command line accepted, CRLF included. RFC 5321 sets 512 octets; ESMTP
/// parameters may add to it, so allow more before refusing.
pub(crate) const MAX_COMMAND_LINE: usize = 4096;

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 64 * 1024;

/// A byte stream other than a TCP socket (an in-memory duplex for the fuzz target).
pub(crate) trait ClientStream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> ClientStream for T {}

enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// No STARTTLS on these.
    Other(Box<dyn ClientStream>),
    /// Only while upgrading.
    Closed,
}

/// What reading a command line gave.
pub(crate) enum Line {
    /// A complete line, CRLF (or bare LF) included.
    Complete(Vec<u8>),
    /// The line was longer than [`MAX_COMMAND_LINE`]; it has been skipped.
    TooLong,
    /// The client closed the connection.
    Closed,
}

pub(crate) struct Connection {
    transport: Transport,
    input: Vec<u8>,
    /// Start of unread bytes in `input`.
    position: usize,
    output: Vec<u8>,
    timeout: Duration,
}

#[derive(Debug)]
pub(crate) enum ReadError {
    Timeout,
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> ReadError {
        ReadError::Io(error)
    }
}

impl Connection {
    pub(crate) fn new(stream: TcpStream, timeout: Duration) -> Connection {
        Connection {
            transport: Transport::Plain(stream),
            input: Vec::with_capacity(READ_CHUNK),
            position: 0,
            output: Vec::with_capacity(1024),
            timeout,
        }
    }

    pub(crate) fn over(stream: Box<dyn ClientStream>, timeout: Duration) -> Connection {
        Connection {
            transport: Transport::Other(stream),
            input: Vec::with_capacity(READ_CHUNK),
            position: 0,
            output: Vec::with_capacity(1024),
            timeout,
        }
    }

    /// The time limit for a command line or a reply write (`[smtp] timeout`).
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn is_tls(&self) -> bool {
        matches!(self.transport, Transport::Tls(_))
    }

    /// Unread bytes already received.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.input[self.position..]
    }

    /// Marks `count` buffered bytes as consumed.
    pub(crate) fn consume(&mut self, count: usize) {
        self.position += count;
        if self.position == self.input.len() {
            self.input.clear();
            self.position = 0;
        }
    }

    /// Reads more bytes from the client into the buffer, unless `deadline` passes
    /// first; `Ok(0)` at end of stream.
    pub(crate) async fn fill(&mut self, deadline: Instant) -> Result<usize, ReadError> {
        if self.position > 0 {
            self.input.drain(..self.position);
            self.position = 0;
        }
        // Cancel-safe: `read_buf` writes into the spare capacity and lengthens
        // the buffer only by what arrived, so a read abandoned half-way (the
        // session's select on shutdown) leaves no bytes behind that the next
        // command would be read from.
        // (At most the spare capacity is read, at least `READ_CHUNK`.)
        self.input.reserve(READ_CHUNK);
        let room = &mut self.input;
        let read = match &mut self.transport {
            Transport::Plain(stream) => tokio::time::timeout_at(deadline, stream.read_buf(room)).await,
            Transport::Tls(stream) => tokio::time::timeout_at(deadline, stream.read_buf(room)).await,
            Transport::Other(stream) => tokio::time::timeout_at(deadline, stream.read_buf(room)).await,
            Transport::Closed => Ok(Ok(0)),
        };
        match read {
            Err(_) => Err(ReadError::Timeout),
            Ok(Err(error)) => Err(ReadError::Io(error)),
            Ok(Ok(count)) => Ok(count),
        }
    }

    /// Reads one command line, which must be complete within `[smtp] timeout`.
    /// Lines over [`MAX_COMMAND_LINE`] are skipped up to their end and reported
    /// once, so no line can make the buffer grow unbounded.
    pub(crate) async fn read_line(&mut self) -> Result<Line, ReadError> {
        let deadline = Instant::now() + self.timeout;
        let mut skipping = false;
        loop {
            let unread = self.buffered();
            if let Some(end) = unread.iter().position(|&byte| byte == b'\n') {
                let line = unread[..=end].to_vec();
                self.consume(end + 1);
                return Ok(if skipping { Line::TooLong } else { Line::Complete(line) });
            }
            if unread.len() >= MAX_COMMAND_LINE {
                skipping = true;
                let length = unread.len();
                self.consume(length);
            }
            if self.fill(deadline).await? == 0 {
                return Ok(Line::Closed);
            }
        }
    }

    /// Queues a reply; it is sent at the next [`Connection::flush`].
    pub(crate) fn reply(&mut self, reply: &SmtpReply) {
        self.output.extend_from_slice(reply.line().as_bytes());
        self.output.extend_from_slice(b"\r\n");
    }

    /// Queues a raw reply (multi-line EHLO, greeting).
    pub(crate) fn reply_raw(&mut self, text: &str) {
        self.output.extend_from_slice(text.as_bytes());
    }

    /// Sends queued replies unless more pipelined commands are already buffered
    /// (RFC 2920: the server may hold replies until it would block for input).
    pub(crate) async fn flush_if_idle(&mut self) -> io::Result<()> {
        if self.buffered().is_empty() { self.flush().await } else { Ok(()) }
    }

    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        if self.output.is_empty() {
            return Ok(());
        }
        let timeout = self.timeout;
        let output = std::mem::take(&mut self.output);
        let result = match &mut self.transport {
            Transport::Plain(stream) => write_all(stream, &output, timeout).await,
            Transport::Tls(stream) => write_all(stream.as_mut(), &output, timeout).await,
            Transport::Other(stream) => write_all(stream, &output, timeout).await,
            Transport::Closed => Ok(()),
        };
        self.output = output;
        self.output.clear();
        result
    }

    /// Upgrades to TLS after a `220` to STARTTLS. Bytes the client pipelined after
    /// the command are dropped (RFC 3207 §6: they must not be trusted).
    pub(crate) async fn start_tls(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        self.flush().await?;
        self.input.clear();
        self.position = 0;
        let stream = match std::mem::replace(&mut self.transport, Transport::Closed) {
            Transport::Plain(stream) => stream,
            Transport::Other(_) => return Err(io::Error::other("no TLS on this kind of stream")),
            Transport::Tls(_) | Transport::Closed => return Err(io::Error::other("TLS is already active")),
        };
        let stream = tokio::time::timeout(self.timeout, acceptor.accept(stream))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
        self.transport = Transport::Tls(Box::new(stream));
        Ok(())
    }

    pub(crate) async fn shutdown(&mut self) {
        let _ = self.flush().await;
        match &mut self.transport {
            Transport::Plain(stream) => {
                let _ = stream.shutdown().await;
            }
            Transport::Tls(stream) => {
                let _ = stream.shutdown().await;
            }
            Transport::Other(stream) => {
                let _ = stream.shutdown().await;
            }
            Transport::Closed => {}
        }
    }
}

async fn write_all<S: AsyncWrite + AsyncRead + Unpin + ?Sized>(stream: &mut S, bytes: &[u8], timeout: Duration) -> io::Result<()> {
    tokio::time::timeout(timeout, async {
        stream.write_all(bytes).await?;
        stream.flush().await
    })
    .await
    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "write timed out"))?
}

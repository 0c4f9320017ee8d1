//! `sluice sink`: a small SMTP server that accepts everything and prints what
//! it received, so a first installation can see the whole loop (client →
//! Sluice → the domain's server) without a real mail server behind it.
//! Optionally keeps each message as an `.eml` file.
//!
//! Not a mail server: no TLS, no queue, nothing relayed. Bounded like the
//! gateway's own edge (line length, message size, idle time), since even a test
//! listener may be reachable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const MAX_LINE: u64 = 4096;
const MAX_MESSAGE: usize = 64 * 1024 * 1024;
const IDLE: Duration = Duration::from_secs(300);

pub(crate) fn run(listen: SocketAddr, dir: Option<PathBuf>) -> anyhow::Result<()> {
    if let Some(dir) = &dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    tokio::runtime::Runtime::new()?.block_on(async move {
        let listener = TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        eprintln!("sluice sink: listening on {}; every message is accepted and printed", listener.local_addr()?);
        let mut received = 0u64;
        loop {
            let (stream, peer) = listener.accept().await?;
            let dir = dir.clone();
            received += 1;
            let session = received;
            tokio::spawn(async move {
                if let Err(error) = serve(stream, session, dir).await {
                    eprintln!("sluice sink: session {session} from {peer}: {error}");
                }
            });
        }
    })
}

/// Reads one line of at most `MAX_LINE` bytes; `None` at end of stream.
async fn line(reader: &mut BufReader<TcpStream>) -> anyhow::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let read = tokio::time::timeout(IDLE, (&mut *reader).take(MAX_LINE).read_until(b'\n', &mut line))
        .await
        .context("client idle too long")??;
    if read == 0 {
        return Ok(None);
    }
    anyhow::ensure!(line.ends_with(b"\n"), "line longer than {MAX_LINE} bytes");
    Ok(Some(line))
}

async fn serve(stream: TcpStream, session: u64, dir: Option<PathBuf>) -> anyhow::Result<()> {
    let mut reader = BufReader::new(stream);
    reader.get_mut().write_all(b"220 sluice-sink ESMTP\r\n").await?;
    let (mut sender, mut recipients) = (String::new(), Vec::<String>::new());
    let mut count = 0u64;
    while let Some(command) = line(&mut reader).await? {
        let text = String::from_utf8_lossy(&command).trim_end().to_owned();
        let verb = text.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sluice-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" | "NOOP" => b"250 OK\r\n",
            "MAIL" => {
                sender = path_of(&text);
                recipients.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                recipients.push(path_of(&text));
                b"250 OK\r\n"
            }
            "RSET" => {
                recipients.clear();
                b"250 OK\r\n"
            }
            "QUIT" => {
                reader.get_mut().write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            "DATA" => {
                reader.get_mut().write_all(b"354 End with <CRLF>.<CRLF>\r\n").await?;
                let mut message = Vec::new();
                loop {
                    let Some(line) = line(&mut reader).await? else { return Ok(()) };
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    let line = line.strip_prefix(b".").unwrap_or(&line);
                    anyhow::ensure!(message.len() + line.len() <= MAX_MESSAGE, "message over {MAX_MESSAGE} bytes");
                    message.extend_from_slice(line);
                }
                count += 1;
                report(session, count, &sender, &recipients, &message, dir.as_ref())?;
                b"250 OK\r\n"
            }
            _ => b"502 Command not implemented\r\n",
        };
        reader.get_mut().write_all(reply).await?;
    }
    Ok(())
}

/// The address between `<` and `>` of a MAIL or RCPT command (as sent).
fn path_of(command: &str) -> String {
    match (command.find('<'), command.rfind('>')) {
        (Some(open), Some(close)) if open < close => command[open + 1..close].to_owned(),
        _ => String::new(),
    }
}

/// Prints one line per message (and the headers Sluice added), and keeps the
/// message when asked to.
fn report(session: u64, count: u64, sender: &str, recipients: &[String], message: &[u8], dir: Option<&PathBuf>) -> anyhow::Result<()> {
    let headers_end = message.windows(4).position(|window| window == b"\r\n\r\n").unwrap_or(message.len());
    let headers = String::from_utf8_lossy(&message[..headers_end]);
    let header = |name: &str| {
        headers
            .lines()
            .find(|line| line.len() > name.len() && line[..name.len()].eq_ignore_ascii_case(name) && line[name.len()..].starts_with(':'))
            .map(|line| line[name.len() + 1..].trim().to_owned())
            .unwrap_or_default()
    };
    // The file is complete (written, then renamed) before the line that
    // announces it, so whoever reads the line finds the whole message.
    if let Some(dir) = dir {
        let path = dir.join(format!("{}-{session}-{count}.eml", std::process::id()));
        let partial = path.with_extension("eml.partial");
        std::fs::write(&partial, message).with_context(|| format!("cannot write {}", partial.display()))?;
        std::fs::rename(&partial, &path).with_context(|| format!("cannot rename {}", partial.display()))?;
    }
    println!(
        "received from {sender} to {} ({} bytes) Subject: {} | X-Sluice-Class: {}",
        recipients.join(", "),
        message.len(),
        header("Subject"),
        header("X-Sluice-Class"),
    );
    Ok(())
}

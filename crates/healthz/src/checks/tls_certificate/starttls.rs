//! STARTTLS: asking a server that starts in plain text to switch to TLS on the same
//! connection, in SMTP (RFC 3207) or PostgreSQL (its `SSLRequest`).

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::checks::describe_io;
use crate::error::CheckError;

/// The protocol a [`TlsCertificate`](super::TlsCertificate) speaks before TLS, for a
/// server that starts in plain text and switches on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Starttls {
    /// SMTP (RFC 3207), as mail servers serve it on ports 25 and 587: the greeting,
    /// `EHLO`, and `STARTTLS`, which the server must offer and accept with `220`.
    Smtp,
    /// PostgreSQL: the `SSLRequest` message, which the server accepts with `S`.
    Postgres,
}

impl Starttls {
    /// Every protocol, in the order error messages list them.
    pub const ALL: [Self; 2] = [Self::Smtp, Self::Postgres];

    /// `smtp` or `postgres`: its name in configs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::Postgres => "postgres",
        }
    }

    /// The protocol called `name`, as [`as_str`](Self::as_str) writes it.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|protocol| protocol.as_str() == name)
    }
}

/// Asks the server on `tcp` to switch to TLS; returns the connection, ready for the
/// handshake.
pub(super) async fn negotiate(protocol: Starttls, tcp: TcpStream) -> Result<TcpStream, CheckError> {
    match protocol {
        Starttls::Smtp => smtp(tcp).await,
        Starttls::Postgres => postgres(tcp).await,
    }
}

/// PostgreSQL's `SSLRequest`: the length 8 and the request code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

async fn postgres(mut tcp: TcpStream) -> Result<TcpStream, CheckError> {
    tcp.write_all(&SSL_REQUEST)
        .await
        .map_err(|error| io_failure("PostgreSQL: cannot send the SSL request", &error))?;
    // One byte and no more: whatever follows it belongs to the TLS handshake, where
    // bytes a server slipped in before TLS fail verification instead of being trusted.
    let mut answer = [0];
    tcp.read_exact(&mut answer)
        .await
        .map_err(|error| io_failure("PostgreSQL: cannot read the answer", &error))?;
    match answer[0] {
        b'S' => Ok(tcp),
        b'N' => Err(CheckError::unavailable(
            "TLS: server does not support TLS (PostgreSQL answered N to the SSL request)",
        )),
        other => Err(CheckError::unexpected_result(format!(
            "the server answered the SSL request with the byte {other:#04x}, not S or N (is it PostgreSQL?)"
        ))),
    }
}

/// The longest SMTP reply line read (RFC 5321 allows 512 bytes).
const MAX_LINE: u64 = 1024;

/// The most lines an SMTP reply may have (an `EHLO` reply has one per extension).
const MAX_LINES: usize = 100;

async fn smtp(tcp: TcpStream) -> Result<TcpStream, CheckError> {
    // The client's address as an address literal, which RFC 5321 accepts where a
    // client has no name of its own to give.
    let client = match tcp.local_addr() {
        Ok(SocketAddr::V4(address)) => format!("[{}]", address.ip()),
        Ok(SocketAddr::V6(address)) => format!("[IPv6:{}]", address.ip()),
        Err(error) => return Err(io_failure("SMTP: cannot connect", &error)),
    };
    let mut conn = BufReader::new(tcp);
    let greeting = read_reply(&mut conn).await?;
    if greeting.code != 220 {
        return Err(CheckError::unavailable(format!(
            "the SMTP server refused the session: {greeting}"
        )));
    }
    send(&mut conn, &format!("EHLO {client}\r\n")).await?;
    let ehlo = read_reply(&mut conn).await?;
    if ehlo.code != 250 {
        return Err(CheckError::unavailable(format!(
            "the SMTP server answered EHLO with {ehlo}"
        )));
    }
    if !ehlo.offers("STARTTLS") {
        return Err(CheckError::unavailable(
            "TLS: server does not support TLS (the SMTP server does not offer STARTTLS)",
        ));
    }
    send(&mut conn, "STARTTLS\r\n").await?;
    let reply = read_reply(&mut conn).await?;
    if reply.code != 220 {
        return Err(CheckError::unavailable(format!(
            "TLS: the SMTP server refused STARTTLS: {reply}"
        )));
    }
    // Anything sent after the `220` and before the handshake would reach us unprotected
    // yet look as if it came over TLS (the STARTTLS command injection of CVE-2011-0411).
    if !conn.buffer().is_empty() {
        return Err(CheckError::unexpected_result(
            "the SMTP server sent more after accepting STARTTLS",
        ));
    }
    Ok(conn.into_inner())
}

async fn send(conn: &mut BufReader<TcpStream>, command: &str) -> Result<(), CheckError> {
    conn.get_mut()
        .write_all(command.as_bytes())
        .await
        .map_err(|error| io_failure("SMTP: cannot send a command", &error))
}

/// An SMTP reply: its code and the text of each line.
#[derive(Debug, PartialEq, Eq)]
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Reply {
    /// Whether an `EHLO` reply lists the extension `keyword` (its lines after the
    /// first, which greets).
    fn offers(&self, keyword: &str) -> bool {
        self.lines.iter().skip(1).any(|line| {
            line.split_ascii_whitespace()
                .next()
                .is_some_and(|word| word.eq_ignore_ascii_case(keyword))
        })
    }
}

/// `554 5.3.2 no service`: the code and the first line.
impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let first = self.lines.first().map_or("", String::as_str);
        write!(f, "{} {first}", self.code)
    }
}

/// Reads one reply, every line of it: `250-first`, `250-…`, `250 last`.
async fn read_reply(conn: &mut BufReader<TcpStream>) -> Result<Reply, CheckError> {
    let mut code = None;
    let mut lines = Vec::new();
    loop {
        let line = read_line(conn).await?;
        let not_smtp = || {
            CheckError::unexpected_result(format!(
                "the server does not answer like an SMTP server: {}",
                String::from_utf8_lossy(&line)
            ))
        };
        let (line_code, last, text) = parse_line(&line).ok_or_else(not_smtp)?;
        if *code.get_or_insert(line_code) != line_code {
            return Err(not_smtp());
        }
        lines.push(text);
        if last {
            return Ok(Reply {
                code: line_code,
                lines,
            });
        }
        if lines.len() == MAX_LINES {
            return Err(CheckError::unexpected_result(format!(
                "an SMTP reply has more than {MAX_LINES} lines"
            )));
        }
    }
}

/// A reply line without its line break: its code, whether it is the reply's last line
/// (`250 …` rather than `250-…`), and its text.
fn parse_line(line: &[u8]) -> Option<(u16, bool, String)> {
    let (digits, rest) = line.split_at_checked(3)?;
    if !digits.iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&digits[0]) {
        return None;
    }
    let code = digits
        .iter()
        .fold(0, |code, digit| code * 10 + u16::from(digit - b'0'));
    let (last, text) = match rest.split_first() {
        None => (true, &[][..]),
        Some((b' ', text)) => (true, text),
        Some((b'-', text)) => (false, text),
        Some(_) => return None,
    };
    Some((code, last, String::from_utf8_lossy(text).into_owned()))
}

/// One line, at most [`MAX_LINE`] bytes, without its line break.
async fn read_line(conn: &mut BufReader<TcpStream>) -> Result<Vec<u8>, CheckError> {
    let mut line = Vec::new();
    (&mut *conn)
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|error| io_failure("SMTP: cannot read the reply", &error))?;
    if line.is_empty() {
        return Err(io_failure(
            "SMTP: cannot read the reply",
            &io::ErrorKind::UnexpectedEof.into(),
        ));
    }
    if line.pop() != Some(b'\n') {
        return Err(CheckError::unexpected_result(
            "an SMTP reply line is too long or cut short",
        ));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(line)
}

/// A failed read or write while doing what `doing` says.
fn io_failure(doing: &str, error: &io::Error) -> CheckError {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        CheckError::unavailable(format!("{doing}: the server closed the connection"))
    } else {
        CheckError::unavailable(format!("{doing}: {}", describe_io(error)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_have_their_config_names() {
        for protocol in Starttls::ALL {
            assert_eq!(Starttls::from_name(protocol.as_str()), Some(protocol));
        }
        assert_eq!(Starttls::from_name("imap"), None);
    }

    #[test]
    fn reply_lines_are_read_with_their_code_and_continuation() {
        assert_eq!(
            parse_line(b"250-mail.example.com Hello"),
            Some((250, false, "mail.example.com Hello".to_owned()))
        );
        assert_eq!(
            parse_line(b"250 STARTTLS"),
            Some((250, true, "STARTTLS".to_owned()))
        );
        assert_eq!(parse_line(b"220"), Some((220, true, String::new())));
        assert_eq!(parse_line(b"HTTP/1.1 400 Bad Request"), None);
        assert_eq!(parse_line(b"2500 x"), None);
        assert_eq!(parse_line(b"120 x"), None);
        assert_eq!(parse_line(b"25"), None);
    }

    #[test]
    fn starttls_is_found_among_the_extensions_only() {
        let reply = |lines: &[&str]| Reply {
            code: 250,
            lines: lines.iter().map(|line| (*line).to_owned()).collect(),
        };
        assert!(reply(&["mx Hello", "SIZE 1000", "starttls"]).offers("STARTTLS"));
        assert!(!reply(&["STARTTLS greets you", "SIZE 1000"]).offers("STARTTLS"));
        assert!(!reply(&["mx", "STARTTLSX"]).offers("STARTTLS"));
    }

    #[test]
    fn replies_show_their_code_and_first_line() {
        let reply = Reply {
            code: 554,
            lines: vec!["5.3.2 no service".to_owned(), "more".to_owned()],
        };
        assert_eq!(reply.to_string(), "554 5.3.2 no service");
    }
}

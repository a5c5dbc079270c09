//! The check's own login, before amqprs's: AMQP 0-9-1's connection handshake (the
//! protocol header, `Start`/`StartOk`, `Tune`/`TuneOk`, `Open`/`OpenOk`, then
//! `Close`/`CloseOk`), announcing RabbitMQ's `authentication_failure_close`
//! capability. RabbitMQ then answers a refused login, or a virtual host the user may not
//! use, with a `Close` that says why (`ACCESS_REFUSED - Login was refused…`), where it
//! makes a client that does not announce it (amqprs) wait 3 seconds for a closed socket.
//!
//! The frames are written and read here: amqprs keeps its codec private, and the
//! handshake needs a few fields of six methods. The login ends with a proper `Close`, so
//! the broker logs a connection that came and went, not an error.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Failure;

/// The protocol header of AMQP 0-9-1.
const PROTOCOL_HEADER: &[u8; 8] = b"AMQP\x00\x00\x09\x01";

/// A method frame's type, and the octet that ends every frame.
const FRAME_METHOD: u8 = 1;
const FRAME_END: u8 = 0xCE;

/// The largest handshake frame the check reads; RabbitMQ's `Start` is under 1 KiB.
const MAX_FRAME: usize = 64 * 1024;

/// The methods of the connection class: (class, method).
type MethodId = (u16, u16);
const START: MethodId = (10, 10);
const START_OK: MethodId = (10, 11);
const SECURE: MethodId = (10, 20);
const TUNE: MethodId = (10, 30);
const TUNE_OK: MethodId = (10, 31);
const OPEN: MethodId = (10, 40);
const OPEN_OK: MethodId = (10, 41);
const CLOSE: MethodId = (10, 50);
const CLOSE_OK: MethodId = (10, 51);

/// AMQP's `reply-success`, for closing normally.
const REPLY_SUCCESS: u16 = 200;

/// Who logs in where.
pub(super) struct Login<'a> {
    pub(super) user: &'a str,
    pub(super) password: &'a str,
    pub(super) vhost: &'a str,
    pub(super) connection_name: &'a str,
}

/// Why the login failed.
#[derive(Debug)]
enum Refusal {
    /// The connection failed (a TLS failure among them).
    Io(io::Error),
    /// The broker closed the connection with this reply text.
    Closed(String),
    /// The server does not speak AMQP 0-9-1 as the check does.
    Protocol(String),
}

impl From<io::Error> for Refusal {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

impl Login<'_> {
    /// Logs in on `stream` and leaves again; `doing` names the step in failure messages.
    pub(super) async fn run<S>(&self, stream: &mut S, doing: &'static str) -> Result<(), Failure>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        match self.handshake(stream).await {
            Ok(()) => {
                // The broker closes its side after `CloseOk`: a failure here is moot.
                let _ = stream.shutdown().await;
                Ok(())
            }
            Err(Refusal::Io(error)) => Err(Failure::io(doing, &error)),
            Err(Refusal::Closed(reason) | Refusal::Protocol(reason)) => {
                Err(Failure::broker(doing, reason))
            }
        }
    }

    async fn handshake<S>(&self, stream: &mut S) -> Result<(), Refusal>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        write(stream, PROTOCOL_HEADER).await?;
        let start = read_method(stream).await.map_err(before_the_handshake)?;
        expect(&start, START)?;
        offers_plain(&start.arguments)?;
        write(stream, &method_frame(START_OK, &self.start_ok())).await?;

        let tune = read_method(stream).await.map_err(|refusal| match refusal {
            Refusal::Io(error) if is_closed(&error) => Refusal::Protocol(
                "the broker closed the connection at the login without a reason \
                 (a wrong user name or password?)"
                    .to_owned(),
            ),
            other => other,
        })?;
        if tune.id == SECURE {
            return Err(Refusal::Protocol(
                "the broker asked for a SASL challenge, which PLAIN login does not answer"
                    .to_owned(),
            ));
        }
        expect(&tune, TUNE)?;
        // channel-max and frame-max as the broker proposed them, no heartbeat: the
        // connection lasts a few round trips.
        let Some(limits) = tune.arguments.get(..6) else {
            return Err(Refusal::Protocol(
                "the broker's Tune is cut short".to_owned(),
            ));
        };
        let mut tune_ok = limits.to_vec();
        tune_ok.extend_from_slice(&0u16.to_be_bytes());
        write(stream, &method_frame(TUNE_OK, &tune_ok)).await?;

        let mut open = Vec::new();
        short_string(&mut open, self.vhost)?;
        // The reserved `capabilities` and `insist` fields.
        open.extend_from_slice(&[0, 0]);
        write(stream, &method_frame(OPEN, &open)).await?;
        expect(&read_method(stream).await?, OPEN_OK)?;

        let mut close = REPLY_SUCCESS.to_be_bytes().to_vec();
        short_string(&mut close, "OK")?;
        close.extend_from_slice(&[0, 0, 0, 0]);
        write(stream, &method_frame(CLOSE, &close)).await?;
        // A broker closing at the same time answers with its own `Close`.
        let closed = read_method(stream).await?;
        if closed.id != CLOSE_OK && closed.id != CLOSE {
            return Err(unexpected(&closed));
        }
        Ok(())
    }

    /// `StartOk`: the client's properties, with the capability that makes RabbitMQ
    /// explain a refused login; PLAIN login; the locale.
    fn start_ok(&self) -> Vec<u8> {
        let mut capabilities = Vec::new();
        table_entry(
            &mut capabilities,
            "authentication_failure_close",
            b't',
            &[1],
        );
        let mut properties = Vec::new();
        table_entry(&mut properties, "product", b'S', &long_bytes(b"healthz"));
        table_entry(
            &mut properties,
            "connection_name",
            b'S',
            &long_bytes(self.connection_name.as_bytes()),
        );
        table_entry(
            &mut properties,
            "capabilities",
            b'F',
            &long_bytes(&capabilities),
        );
        let mut arguments = long_bytes(&properties);
        arguments.extend_from_slice(&[5]);
        arguments.extend_from_slice(b"PLAIN");
        let response = [b"\0", self.user.as_bytes(), b"\0", self.password.as_bytes()].concat();
        arguments.extend_from_slice(&long_bytes(&response));
        arguments.extend_from_slice(&[5]);
        arguments.extend_from_slice(b"en_US");
        arguments
    }
}

/// A method frame on channel 0.
#[derive(Debug)]
struct Method {
    id: MethodId,
    arguments: Vec<u8>,
}

/// Reads the next method frame on channel 0, skipping heartbeats.
async fn read_method<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Method, Refusal> {
    loop {
        let mut header = [0; 7];
        stream.read_exact(&mut header).await?;
        if header.starts_with(b"AMQP") {
            // The server's own protocol header: it speaks another version.
            let mut rest = [0; 1];
            stream.read_exact(&mut rest).await?;
            return Err(Refusal::Protocol(format!(
                "the server speaks another AMQP version (it proposed {})",
                version(&[&header[4..], &rest[..]].concat())
            )));
        }
        let [kind, _, _, size @ ..] = header;
        let size = usize::try_from(u32::from_be_bytes(size)).unwrap_or(usize::MAX);
        if !matches!(kind, 1..=4 | 8) || size > MAX_FRAME {
            return Err(Refusal::Protocol(not_amqp(kind)));
        }
        let mut payload = vec![0; size + 1];
        stream.read_exact(&mut payload).await?;
        if payload.pop() != Some(FRAME_END) {
            return Err(Refusal::Protocol(not_amqp(kind)));
        }
        if kind != FRAME_METHOD {
            continue;
        }
        let [class_high, class_low, method_high, method_low, ..] = payload[..] else {
            return Err(Refusal::Protocol(
                "the broker sent a method frame cut short".to_owned(),
            ));
        };
        return Ok(Method {
            id: (
                u16::from_be_bytes([class_high, class_low]),
                u16::from_be_bytes([method_high, method_low]),
            ),
            arguments: payload.split_off(4),
        });
    }
}

/// What a server that answers with bytes that are no AMQP frame is, by the first one.
fn not_amqp(first: u8) -> String {
    match first {
        // The record types of TLS alerts and handshakes.
        21 | 22 => "the server speaks TLS on this port (use amqps:// or .tls())".to_owned(),
        _ => "the server does not speak AMQP 0-9-1".to_owned(),
    }
}

/// `0-9-1`, from the last four octets of a protocol header.
fn version(octets: &[u8]) -> String {
    match octets {
        [0, major, minor, revision] => format!("{major}-{minor}-{revision}"),
        other => format!("{other:?}"),
    }
}

/// A server that closed the connection before any frame may want TLS.
fn before_the_handshake(refusal: Refusal) -> Refusal {
    match refusal {
        Refusal::Io(error) if is_closed(&error) => Refusal::Protocol(
            "the server closed the connection without starting the AMQP handshake \
             (does it want TLS, amqps://?)"
                .to_owned(),
        ),
        other => other,
    }
}

fn is_closed(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
    )
}

/// Fails unless `method` is `expected`; a `Close` says why in the broker's words.
fn expect(method: &Method, expected: MethodId) -> Result<(), Refusal> {
    if method.id == expected {
        Ok(())
    } else {
        Err(unexpected(method))
    }
}

fn unexpected(method: &Method) -> Refusal {
    if method.id == CLOSE {
        // reply-code, then reply-text.
        if let Some(text) = method.arguments.get(2..).and_then(read_short_string) {
            return Refusal::Closed(text);
        }
    }
    Refusal::Protocol(format!(
        "the broker answered the method {}.{} during the login",
        method.id.0, method.id.1
    ))
}

/// Fails unless the `Start` arguments offer PLAIN login, the one amqprs uses.
fn offers_plain(start: &[u8]) -> Result<(), Refusal> {
    // version-major and -minor, then the server's properties as a table.
    let properties = start
        .get(2..6)
        .map(|len| u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize);
    let mechanisms = properties
        .and_then(|len| start.get(6 + len..))
        .and_then(read_long_string);
    match mechanisms {
        Some(offered) if offered.split(' ').any(|mechanism| mechanism == "PLAIN") => Ok(()),
        Some(offered) => Err(Refusal::Protocol(format!(
            "the broker does not offer PLAIN login (it offers {offered})"
        ))),
        None => Err(Refusal::Protocol(
            "the broker's Start is malformed".to_owned(),
        )),
    }
}

async fn write<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> io::Result<()> {
    let written = async {
        stream.write_all(bytes).await?;
        // A TLS stream holds what it was given until flushed.
        stream.flush().await
    }
    .await;
    match written {
        // A TLS server that refuses the client (no client certificate) sends an alert
        // and closes, so the first write can meet the reset with the alert still
        // unread: reading it says why.
        Err(error) if is_closed(&error) => {
            let mut next = [0; 1];
            match stream.read(&mut next).await {
                Err(alert) if super::super::tls_failure(&alert).is_some() => Err(alert),
                _ => Err(error),
            }
        }
        other => other,
    }
}

fn method_frame((class, method): MethodId, arguments: &[u8]) -> Vec<u8> {
    let size = u32::try_from(4 + arguments.len()).unwrap_or(u32::MAX);
    let mut frame = vec![FRAME_METHOD, 0, 0];
    frame.extend_from_slice(&size.to_be_bytes());
    frame.extend_from_slice(&class.to_be_bytes());
    frame.extend_from_slice(&method.to_be_bytes());
    frame.extend_from_slice(arguments);
    frame.push(FRAME_END);
    frame
}

/// Appends a short string (at most 255 bytes), as a virtual host is sent.
fn short_string(out: &mut Vec<u8>, text: &str) -> Result<(), Refusal> {
    let len = u8::try_from(text.len()).map_err(|_| {
        Refusal::Protocol(format!(
            "`{text}` is longer than the 255 bytes AMQP allows for a name"
        ))
    })?;
    out.push(len);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// `bytes` behind their length as four octets: a long string, or a table's entries.
fn long_bytes(bytes: &[u8]) -> Vec<u8> {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    [&len.to_be_bytes()[..], bytes].concat()
}

/// Appends a table entry: its name (a short string of this code's own), the type
/// octet, the value.
fn table_entry(out: &mut Vec<u8>, name: &'static str, kind: u8, value: &[u8]) {
    out.push(u8::try_from(name.len()).expect("a short field name"));
    out.extend_from_slice(name.as_bytes());
    out.push(kind);
    out.extend_from_slice(value);
}

fn read_short_string(bytes: &[u8]) -> Option<String> {
    let (&len, rest) = bytes.split_first()?;
    let text = rest.get(..usize::from(len))?;
    Some(String::from_utf8_lossy(text).into_owned())
}

fn read_long_string(bytes: &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let text = bytes.get(4..4 + len)?;
    Some(String::from_utf8_lossy(text).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::io::DuplexStream;

    const LOGIN: Login<'static> = Login {
        user: "app",
        password: "s3cr3t",
        vhost: "/",
        connection_name: "healthz test",
    };

    /// A broker's `Start` offering `mechanisms`.
    fn start(mechanisms: &str) -> Vec<u8> {
        let mut properties = Vec::new();
        table_entry(&mut properties, "product", b'S', &long_bytes(b"RabbitMQ"));
        let mut arguments = vec![0, 9];
        arguments.extend_from_slice(&long_bytes(&properties));
        arguments.extend_from_slice(&long_bytes(mechanisms.as_bytes()));
        arguments.extend_from_slice(&long_bytes(b"en_US"));
        method_frame(START, &arguments)
    }

    fn close(code: u16, text: &str) -> Vec<u8> {
        let mut arguments = code.to_be_bytes().to_vec();
        short_string(&mut arguments, text).unwrap();
        arguments.extend_from_slice(&[0, 10, 0, 11]);
        method_frame(CLOSE, &arguments)
    }

    /// Plays the broker: reads the protocol header, then answers each method the
    /// client sends with the next of `replies`; returns the methods it read.
    async fn broker(mut stream: DuplexStream, replies: Vec<Vec<u8>>) -> Vec<Method> {
        let mut header = [0; 8];
        stream.read_exact(&mut header).await.unwrap();
        assert_eq!(&header, PROTOCOL_HEADER);
        let mut replies = replies.into_iter();
        write(&mut stream, &replies.next().unwrap()).await.unwrap();
        let mut read = Vec::new();
        for reply in replies {
            read.push(read_method(&mut stream).await.unwrap());
            // `TuneOk` and `Open` go together: `Open` is the one answered.
            if read.last().map(|method| method.id) == Some(TUNE_OK) {
                read.push(read_method(&mut stream).await.unwrap());
            }
            write(&mut stream, &reply).await.unwrap();
        }
        read
    }

    async fn log_in(replies: Vec<Vec<u8>>) -> (Result<(), Failure>, Vec<Method>) {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let broker = tokio::spawn(broker(server, replies));
        let result = LOGIN.run(&mut client, "connect").await;
        drop(client);
        (result, broker.await.unwrap())
    }

    fn message(result: Result<(), Failure>) -> String {
        let error = result.unwrap_err();
        error
            .into_check_error(&crate::redact::Redactor::default())
            .message()
            .to_owned()
    }

    #[tokio::test]
    async fn a_login_announces_the_capability_and_closes_properly() {
        let tune = method_frame(TUNE, &[0, 0x07, 0, 2, 0, 0, 0, 60]);
        let (result, read) = log_in(vec![
            start("AMQPLAIN PLAIN"),
            tune,
            method_frame(OPEN_OK, &[0]),
            method_frame(CLOSE_OK, &[]),
        ])
        .await;
        result.unwrap();
        let ids: Vec<MethodId> = read.iter().map(|method| method.id).collect();
        assert_eq!(ids, [START_OK, TUNE_OK, OPEN, CLOSE]);
        let start_ok = &read[0].arguments;
        let announced = b"\x1cauthentication_failure_closet\x01";
        assert!(
            start_ok
                .windows(announced.len())
                .any(|window| window == announced)
        );
        assert!(start_ok.ends_with(b"\x05PLAIN\x00\x00\x00\x0b\x00app\x00s3cr3t\x05en_US"));
        // The broker's channel-max and frame-max, no heartbeat.
        assert_eq!(read[1].arguments, [0, 0x07, 0, 2, 0, 0, 0, 0]);
        assert_eq!(read[2].arguments, [1, b'/', 0, 0]);
    }

    #[tokio::test]
    async fn a_refused_login_is_named_in_the_brokers_words() {
        let refused = "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN";
        let (result, _) = log_in(vec![start("PLAIN"), close(403, refused)]).await;
        assert_eq!(message(result), format!("cannot connect: {refused}"));
    }

    #[tokio::test]
    async fn a_server_of_another_kind_is_named() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        tokio::spawn(async move {
            let mut header = [0; 8];
            server.read_exact(&mut header).await.unwrap();
            server.write_all(b"AMQP\x00\x01\x00\x00").await.unwrap();
        });
        assert_eq!(
            message(LOGIN.run(&mut client, "connect").await),
            "cannot connect: the server speaks another AMQP version (it proposed 1-0-0)"
        );

        let (result, _) = log_in(vec![start("EXTERNAL")]).await;
        assert_eq!(
            message(result),
            "cannot connect: the broker does not offer PLAIN login (it offers EXTERNAL)"
        );
    }
}

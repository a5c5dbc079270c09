//! [`Failure`]: why a broker check failed, in the broker's words when it gave some.

use std::io;

use amqprs::error::Error as AmqpError;

use crate::error::CheckError;
use crate::redact::Redactor;

/// Why a run against a broker failed, before its text is redacted.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The TLS handshake failed: the whole public message (`TLS: …`).
    Tls(String),
    /// The broker refused or failed what the check was doing.
    Broker {
        doing: &'static str,
        error: String,
        /// The connection is gone: a kept connection is worth replacing once.
        connection_lost: bool,
    },
    /// The broker or a worker answered something the check cannot use.
    Unexpected(String),
}

impl Failure {
    /// Connecting failed with an I/O error while doing `doing`; TLS failures (a client
    /// certificate the server wanted comes as the first read's error) read as such.
    pub(crate) fn io(doing: &'static str, error: &io::Error) -> Self {
        match super::super::tls_failure(error) {
            Some(tls) => Self::Tls(tls),
            None => Self::broker(doing, super::super::describe_io(error)),
        }
    }

    /// The broker refused what the check was doing, in `error`'s words; the connection
    /// is still there, if one was made.
    pub(crate) fn broker(doing: &'static str, error: String) -> Self {
        Self::Broker {
            doing,
            error,
            connection_lost: false,
        }
    }

    /// An amqprs error while doing `doing`, described by `reason` (what the broker said
    /// when it closed the channel or the connection) when there is one.
    pub(crate) fn amqp(
        doing: &'static str,
        error: &AmqpError,
        reason: Option<String>,
        connection_lost: bool,
    ) -> Self {
        Self::Broker {
            doing,
            error: reason.unwrap_or_else(|| describe(error)),
            connection_lost: connection_lost || matches!(error, AmqpError::NetworkError(_)),
        }
    }

    /// Whether the connection is gone, so that a new one may cure the failure.
    pub(crate) fn is_connection_lost(&self) -> bool {
        matches!(
            self,
            Self::Broker {
                connection_lost: true,
                ..
            }
        )
    }

    /// The check's error, with every secret `redactor` knows masked.
    pub(crate) fn into_check_error(self, redactor: &Redactor) -> CheckError {
        match self {
            Self::Tls(message) => CheckError::unavailable(redactor.redact(&message)),
            Self::Broker { doing, error, .. } => {
                CheckError::unavailable(format!("cannot {doing}: {}", redactor.redact(&error)))
            }
            Self::Unexpected(message) => CheckError::unexpected_result(redactor.redact(&message)),
        }
    }
}

/// An amqprs error as a short phrase: the broker's reply text when it sent one (amqprs
/// puts it inside a dump of the frame), otherwise the error without amqprs's prefixes
/// and the OS error number. amqprs keeps its errors as text only, so text is all there
/// is to read.
fn describe(error: &AmqpError) -> String {
    let text = match error {
        AmqpError::NetworkError(text)
        | AmqpError::ConnectionOpenError(text)
        | AmqpError::ConnectionCloseError(text)
        | AmqpError::ConnectionUseError(text)
        | AmqpError::ChannelOpenError(text)
        | AmqpError::ChannelCloseError(text)
        | AmqpError::ChannelUseError(text)
        | AmqpError::InternalChannelError(text) => text.clone(),
        other => other.to_string(),
    };
    if let Some(reply) = reply_text(&text) {
        return reply.to_owned();
    }
    let text = text.strip_prefix("network io error: ").unwrap_or(&text);
    super::super::describe_io_text(text)
}

/// The `reply_text` of a `Close` frame in amqprs's `Debug` dump of it:
/// `… reply_text: ShortStr(34, "NOT_ALLOWED - vhost nope not found") …`.
fn reply_text(text: &str) -> Option<&str> {
    let start = text.find("reply_text: ShortStr(")?;
    let rest = &text[start..];
    let open = rest.find('"')? + 1;
    let close = rest[open..].find('"')? + open;
    Some(&rest[open..close])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn amqprs_errors_are_described_by_the_broker_reply_or_a_short_phrase() {
        let closed = AmqpError::ConnectionOpenError(
            "failed to open connection, reason: Close(MethodHeader { class_id: 10, method_id: 50 }, \
             Close { reply_code: 530, reply_text: ShortStr(34, \"NOT_ALLOWED - vhost nope not found\"), \
             class_id: 10, method_id: 40 })"
                .to_owned(),
        );
        assert_eq!(describe(&closed), "NOT_ALLOWED - vhost nope not found");
        let refused = AmqpError::NetworkError(
            "network io error: Connection refused (os error 111)".to_owned(),
        );
        assert_eq!(describe(&refused), "connection refused");
    }

    #[test]
    fn the_brokers_reason_wins_over_amqprs_words() {
        let internal = AmqpError::InternalChannelError("channel closed".to_owned());
        let failure = Failure::amqp(
            "declare a queue",
            &internal,
            Some("ACCESS_REFUSED - access to queue 'q' refused".to_owned()),
            false,
        );
        assert!(!failure.is_connection_lost());
        assert_eq!(
            failure.into_check_error(&Redactor::default()).message(),
            "cannot declare a queue: ACCESS_REFUSED - access to queue 'q' refused"
        );
        let network = AmqpError::NetworkError("network io error: peer shutdown".to_owned());
        assert!(Failure::amqp("publish", &network, None, false).is_connection_lost());
        assert!(Failure::amqp("publish", &internal, None, true).is_connection_lost());
    }

    #[test]
    fn failures_are_redacted() {
        let failure = Failure::Broker {
            doing: "connect to the broker",
            error: "refused by amqp://app:hunter2@mq/".to_owned(),
            connection_lost: true,
        };
        let error = failure.into_check_error(&Redactor::for_url("amqp://app:hunter2@mq/"));
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        assert_eq!(
            error.message(),
            "cannot connect to the broker: refused by amqp://app:***@mq/"
        );
        let tls = Failure::Tls("TLS: certificate not trusted (unknown issuer)".to_owned());
        assert!(!tls.is_connection_lost());
        assert_eq!(
            tls.into_check_error(&Redactor::default()).message(),
            "TLS: certificate not trusted (unknown issuer)"
        );
    }
}

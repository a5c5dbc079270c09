//! Celery's remote-control wire format (kombu's `pidbox`), as Celery 5 writes it.
//!
//! A client broadcasts a command on the fanout exchange `<namespace>.pidbox`; every
//! worker runs it and publishes `{"<node name>": <result>}` on the direct exchange
//! `reply.<namespace>.pidbox`, with the client's routing key and the command's
//! `ticket` header. kombu calls the client's routing key its `oid` and its reply queue
//! `<oid>.reply.<namespace>.pidbox`. The namespace is Celery's `control_exchange`
//! setting, `celery` by default.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

/// The only content type the check reads and writes: Celery's default serializer.
pub(super) const JSON: &str = "application/json";

/// Lamport clock value sent with a command: the first tick of a fresh clock, as a new
/// Celery client sends. Workers only ever move their clock forward from it.
pub(super) const CLOCK: i64 = 1;

/// One broadcast command and where its replies go.
#[derive(Debug, Clone)]
pub(super) struct Broadcast {
    /// The control command: `ping` or `active_queues`.
    pub(super) method: &'static str,
    /// The fanout exchange every worker listens on: `<namespace>.pidbox`.
    pub(super) exchange: String,
    /// The direct exchange workers reply on: `reply.<namespace>.pidbox`.
    pub(super) reply_exchange: String,
    /// The routing key of the replies (kombu's `oid`), unique per broadcast.
    pub(super) reply_key: String,
    /// Sent in the command and echoed in the `ticket` header of every reply.
    pub(super) ticket: String,
    /// When the command goes stale, in seconds since the epoch (the `expires` header).
    pub(super) expires: f64,
}

impl Broadcast {
    /// A fresh command for the workers of `namespace`, answered within `window`.
    pub(super) fn new(namespace: &str, method: &'static str, window: Duration) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            method,
            exchange: format!("{namespace}.pidbox"),
            reply_exchange: format!("reply.{namespace}.pidbox"),
            reply_key: uuid4(),
            ticket: uuid4(),
            expires: (now + window).as_secs_f64(),
        }
    }

    /// The reply queue kombu would name for this client: `<oid>.reply.<namespace>.pidbox`.
    pub(super) fn reply_queue(&self) -> String {
        format!("{}.{}", self.reply_key, self.reply_exchange)
    }

    /// The message body, as kombu's `Mailbox._publish` writes it.
    pub(super) fn body(&self) -> Vec<u8> {
        json!({
            "method": self.method,
            "arguments": {},
            "destination": null,
            "pattern": null,
            "matcher": null,
            "ticket": self.ticket,
            "reply_to": {"exchange": self.reply_exchange, "routing_key": self.reply_key},
        })
        .to_string()
        .into_bytes()
    }

    /// The message as kombu's Redis transport publishes it: a JSON envelope with the
    /// body in base64 and the AMQP headers and properties spelled out.
    pub(super) fn redis_envelope(&self) -> String {
        json!({
            "body": BASE64.encode(self.body()),
            "content-encoding": "utf-8",
            "content-type": JSON,
            "headers": {"clock": CLOCK, "expires": self.expires},
            "properties": {
                // What Celery 5.7 sends; workers ignore it.
                "delivery_mode": 2,
                "delivery_info": {"exchange": self.exchange, "routing_key": ""},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": uuid4(),
            },
        })
        .to_string()
    }
}

/// A message that arrived on the reply queue.
#[derive(Debug, Default)]
pub(super) struct Reply {
    pub(super) ticket: Option<String>,
    pub(super) content_type: Option<String>,
    pub(super) body: Vec<u8>,
}

impl Reply {
    /// Whether it answers `broadcast`. Like kombu, a reply without a ticket counts:
    /// workers older than kombu 2.5 sent none.
    pub(super) fn answers(&self, broadcast: &Broadcast) -> bool {
        self.ticket
            .as_deref()
            .is_none_or(|ticket| ticket == broadcast.ticket)
    }

    /// Opens a reply as kombu's Redis transport stores it.
    pub(super) fn from_redis_envelope(raw: &[u8]) -> Result<Self, String> {
        let envelope: Value = serde_json::from_slice(raw)
            .map_err(|error| format!("a reply is not a kombu message: {error}"))?;
        let text = |value: &Value| value.as_str().map(str::to_owned);
        let body = envelope.get("body").and_then(Value::as_str).unwrap_or("");
        let encoding = envelope
            .pointer("/properties/body_encoding")
            .and_then(Value::as_str);
        let body = match encoding {
            Some("base64") => BASE64
                .decode(body)
                .map_err(|error| format!("a reply's body is not base64: {error}"))?,
            _ => body.as_bytes().to_vec(),
        };
        Ok(Self {
            ticket: envelope.pointer("/headers/ticket").and_then(text),
            content_type: envelope.get("content-type").and_then(text),
            body,
        })
    }

    /// The `(node name, result)` pairs of the body: `{"w1@host": {"ok": "pong"}}`.
    pub(super) fn results(&self) -> Result<Vec<(String, Value)>, String> {
        if let Some(content_type) = self.content_type.as_deref()
            && content_type != JSON
        {
            return Err(format!(
                "a worker replied in {content_type}; the check reads JSON replies only \
                 (Celery's default serializer)"
            ));
        }
        match serde_json::from_slice(&self.body) {
            Ok(Value::Object(results)) => Ok(results.into_iter().collect()),
            Ok(other) => Err(format!("a worker replied {other} instead of an object")),
            Err(error) => Err(format!("a worker's reply is not JSON: {error}")),
        }
    }
}

/// The names of the queues in an `active_queues` result: `[{"name": "celery", …}, …]`.
pub(super) fn queue_names(result: &Value) -> impl Iterator<Item = &str> {
    result
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|queue| queue.get("name")?.as_str())
}

/// A random (version 4) UUID, the form kombu gives tickets, routing keys and delivery
/// tags.
fn uuid4() -> String {
    let bits = fastrand::u128(..) & !(0xf << 76) & !(0x3 << 62) | (0x4 << 76) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broadcast() -> Broadcast {
        Broadcast::new("celery", "ping", Duration::from_secs(1))
    }

    #[test]
    fn the_body_is_the_one_kombu_writes() {
        let broadcast = broadcast();
        let body: Value = serde_json::from_slice(&broadcast.body()).unwrap();
        assert_eq!(
            body,
            json!({
                "method": "ping",
                "arguments": {},
                "destination": null,
                "pattern": null,
                "matcher": null,
                "ticket": broadcast.ticket,
                "reply_to": {"exchange": "reply.celery.pidbox", "routing_key": broadcast.reply_key},
            })
        );
        assert_eq!(
            broadcast.reply_queue(),
            format!("{}.reply.celery.pidbox", broadcast.reply_key)
        );
        assert_eq!(broadcast.exchange, "celery.pidbox");
    }

    #[test]
    fn the_redis_envelope_carries_the_body_in_base64() {
        let broadcast = Broadcast::new("app", "active_queues", Duration::from_secs(1));
        let envelope: Value = serde_json::from_str(&broadcast.redis_envelope()).unwrap();
        let body = BASE64.decode(envelope["body"].as_str().unwrap()).unwrap();
        assert_eq!(body, broadcast.body());
        assert_eq!(envelope["content-type"], JSON);
        assert_eq!(envelope["content-encoding"], "utf-8");
        assert_eq!(envelope["headers"]["clock"], CLOCK);
        assert!(envelope["headers"]["expires"].as_f64().unwrap() > 1.7e9);
        assert_eq!(envelope["properties"]["body_encoding"], "base64");
        assert_eq!(
            envelope["properties"]["delivery_info"]["exchange"],
            "app.pidbox"
        );
        assert!(envelope["properties"]["delivery_tag"].is_string());
    }

    #[test]
    fn a_reply_captured_from_a_celery_5_worker_on_redis_is_read() {
        // LPUSHed by Celery 5.7 / kombu 5.7 in answer to `celery inspect ping`.
        let raw = br#"{"body": "eyJ3MUB2bSI6IHsib2siOiAicG9uZyJ9fQ==", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"ticket": "e6076b0f-af51-4d06-819c-7242f6ff20f8", "clock": 3}, "properties": {"delivery_mode": 1, "delivery_info": {"exchange": "reply.celery.pidbox", "routing_key": "97dc516a-0f2c-3c54-a7b1-27f18cc8fd4e"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "b9d17995-9762-40a3-8ddc-2d7e3212634b"}}"#;
        let reply = Reply::from_redis_envelope(raw).unwrap();
        assert_eq!(
            reply.ticket.as_deref(),
            Some("e6076b0f-af51-4d06-819c-7242f6ff20f8")
        );
        assert_eq!(
            reply.results().unwrap(),
            [("w1@vm".to_owned(), json!({"ok": "pong"}))]
        );
    }

    #[test]
    fn replies_to_other_tickets_do_not_count() {
        let broadcast = broadcast();
        let mut reply = Reply {
            ticket: Some(broadcast.ticket.clone()),
            ..Reply::default()
        };
        assert!(reply.answers(&broadcast));
        reply.ticket = Some("another".to_owned());
        assert!(!reply.answers(&broadcast));
        reply.ticket = None;
        assert!(reply.answers(&broadcast));
    }

    #[test]
    fn replies_other_than_a_json_object_are_refused() {
        let reply = |content_type: &str, body: &str| Reply {
            ticket: None,
            content_type: Some(content_type.to_owned()),
            body: body.as_bytes().to_vec(),
        };
        let pickled = reply("application/x-python-serialize", "x").results();
        assert!(pickled.unwrap_err().contains("JSON replies only"));
        assert!(reply(JSON, "[1]").results().is_err());
        assert!(reply(JSON, "{").results().is_err());
        assert!(Reply::from_redis_envelope(b"not json").is_err());
    }

    #[test]
    fn active_queue_names_are_read_from_the_result() {
        let result =
            json!([{"name": "celery", "exchange": {"name": "celery"}}, {"name": "emails"}]);
        assert_eq!(
            queue_names(&result).collect::<Vec<_>>(),
            ["celery", "emails"]
        );
        assert_eq!(queue_names(&json!({"error": "x"})).count(), 0);
    }

    #[test]
    fn uuids_are_version_4_and_unique() {
        let (a, b) = (uuid4(), uuid4());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_eq!(a.matches('-').count(), 4);
    }
}

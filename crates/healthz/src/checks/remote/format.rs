//! The two formats a health endpoint answers in, read into a [`RemoteReport`]:
//! `application/health+json` (the IETF draft's) and `application/json` (the seed's flat
//! object).

use std::fmt;
use std::marker::PhantomData;

use http::StatusCode;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::{RemoteCheck, RemoteReport, Status};

/// `application/health+json`: `{"status": …, "checks": {"name:measurement": [{…}]}}`.
#[derive(Deserialize)]
struct HealthJson {
    status: String,
    #[serde(default)]
    checks: Ordered<OneOrMany>,
}

/// The draft makes each check an array of components; accept a lone object too.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<Component>),
    One(Component),
}

#[derive(Deserialize)]
struct Component {
    status: Option<String>,
    output: Option<String>,
}

pub(super) fn parse_health_json(body: &[u8]) -> Result<RemoteReport, String> {
    let health: HealthJson = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let status = Status::parse(&health.status)
        .ok_or_else(|| format!("unknown status {:?}", health.status))?;
    let mut checks = Vec::new();
    for (key, components) in health.checks.0 {
        // `<component>:<measurement>`; a component name may itself hold a colon.
        let name = key.rsplit_once(':').map_or(key.as_str(), |(name, _)| name);
        let components = match components {
            OneOrMany::Many(many) => many,
            OneOrMany::One(one) => vec![one],
        };
        for component in components {
            let Some(value) = component.status else {
                continue;
            };
            let status = Status::parse(&value)
                .ok_or_else(|| format!("unknown status {value:?} of check {name}"))?;
            checks.push(RemoteCheck {
                name: name.to_owned(),
                status,
                output: component.output.filter(|output| !output.is_empty()),
            });
        }
    }
    Ok(RemoteReport {
        status: Some(status),
        checks,
    })
}

/// `application/json`: the seed's flat object of strings, or health+json sent under
/// the plain JSON media type.
pub(super) fn parse_json(body: &[u8], http_status: StatusCode) -> Result<RemoteReport, String> {
    let Ordered(entries) =
        serde_json::from_slice::<Ordered<serde_json::Value>>(body).map_err(|e| e.to_string())?;
    if !entries.iter().all(|(_, value)| value.is_string()) {
        return parse_health_json(body);
    }
    let checks = entries
        .into_iter()
        .map(|(name, value)| {
            let text = value.as_str().unwrap_or_default();
            let status = match text.split_once(':') {
                _ if text == "working" => Status::Pass,
                Some(("warning", _)) => Status::Warn,
                _ if http_status.is_success() => Status::Warn,
                _ => Status::Fail,
            };
            let output = (status != Status::Pass).then(|| text.to_owned());
            RemoteCheck {
                name,
                status,
                output,
            }
        })
        .collect();
    Ok(RemoteReport {
        status: None,
        checks,
    })
}

/// A JSON object read in document order (`serde_json::Map` would sort it).
struct Ordered<V>(Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
            type Value = Ordered<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }

        deserializer.deserialize_map(OrderedVisitor(PhantomData))
    }
}

//! One `[[notify]]`: a webhook that each change of a check's state is posted to,
//! [`NotifyKeys`] as written, read into a [`Target`] whose delivery check is added to
//! the registry.
//!
//! The URL is a secret (a Slack webhook's path is its token): an error shows it
//! redacted, a Slack URL without its path, and an interpolated one not at all. The
//! header's value is never in the file: `header-value-env` names the variable that
//! holds it, read here, once.

use std::env::VarError;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Uri, header};
use healthz::{BuildError, BuildRule, CheckOptions, RegistryBuilder};
use serde::Deserialize;
use toml::Spanned;

use super::diagnostic::{ConfigError, Diagnostics, REDACTED};
use super::interpolate::Env;
use super::registrar::{Naming, Registrar};
use super::table::{Table, names_of};
use super::values::{Url, invalid_url, non_empty, positive_duration_up_to, within};
use crate::notify::{
    DEFAULT_TIMEOUT, DEFAULT_TRIES, Delivery, DeliveryCheck, Format, Header, Target,
};

/// The longest `min-interval`: a day.
const LONGEST_MIN_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest `timeout` of one request.
const LONGEST_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The most `tries`: with the backoff capped at 30 s, ten take a few minutes.
const MAX_TRIES: u32 = 10;

/// Headers the client sets itself, which a target may not replace.
const RESERVED_HEADERS: [HeaderName; 5] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::HOST,
    header::TRANSFER_ENCODING,
    header::CONNECTION,
];

/// The keys of a `[[notify]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct NotifyKeys {
    /// `webhook` or `slack`; required.
    kind: Spanned<String>,
    /// The target's name; its kind unless set.
    name: Option<Spanned<String>>,
    /// Where to post; required.
    url: Spanned<Url>,
    /// A header sent with each notification, such as `Authorization`.
    header: Option<Spanned<String>>,
    /// The environment variable that holds the header's value.
    header_value_env: Option<Spanned<String>>,
    /// How long a check's changes are held back after one was sent.
    min_interval: Option<Spanned<String>>,
    /// How long one request may take.
    timeout: Option<Spanned<String>>,
    /// How many times a notification is sent before it is given up.
    tries: Option<Spanned<u32>>,
}

/// A target, read, and where its keys are, to locate a rule of the registry that its
/// delivery check breaks.
#[derive(Debug)]
pub(super) struct Declared {
    pub(super) target: Target,
    span: Range<usize>,
    keys: NotifyKeys,
}

/// Reads the `number`th target (from 1) from its table and adds its delivery check to
/// `builder`, which is returned with it; `service` is `[server] service`, and `env`
/// gives the header's value.
///
/// The delivery check is not critical, so that a failing webhook degrades the report
/// and never fails it, and in no group, so that no probe fails with it. It is named
/// as a second check of a kind is, `Notifications[<target>]`.
///
/// # Errors
///
/// Returns a [`ConfigError`] at the first key that is unknown, missing or invalid.
pub(super) fn add(
    builder: RegistryBuilder,
    number: usize,
    table: Table<'_>,
    diagnostics: &Diagnostics<'_>,
    env: Env<'_>,
    service: Option<&str>,
) -> Result<(RegistryBuilder, Declared), ConfigError> {
    let accepted = names_of::<NotifyKeys>();
    if let Some((key, span)) = table.unknown_key(accepted) {
        return Err(diagnostics.unknown_key(key, span, "in a [[notify]] target", accepted, None));
    }
    let span = table.span();
    let keys: NotifyKeys = table
        .read()
        .map_err(|error| diagnostics.deserialize(&error))?;
    let Some(format) = Format::from_name(keys.kind.get_ref()) else {
        let kinds: Vec<&str> = Format::ALL.iter().map(|format| format.as_str()).collect();
        return Err(diagnostics.error(
            keys.kind.span(),
            format!(
                "notify #{number}: `kind`: unknown kind {} (expected one of: {})",
                diagnostics.shown(&keys.kind),
                kinds.join(", ")
            ),
        ));
    };
    let name = match &keys.name {
        Some(name) => non_empty(name, diagnostics)?.to_owned(),
        None => format.as_str().to_owned(),
    };
    let (url, shown_url) = url(&keys.url, format, diagnostics)?;
    let min_interval = keys
        .min_interval
        .as_ref()
        .map(|value| positive_duration_up_to(value, LONGEST_MIN_INTERVAL, diagnostics))
        .transpose()?;
    let timeout = keys
        .timeout
        .as_ref()
        .map(|value| positive_duration_up_to(value, LONGEST_TIMEOUT, diagnostics))
        .transpose()?
        .unwrap_or(DEFAULT_TIMEOUT);
    let tries = keys
        .tries
        .as_ref()
        .map(|tries| within(tries, 1..=MAX_TRIES, diagnostics))
        .transpose()?
        .unwrap_or(DEFAULT_TRIES);
    let delivery = Arc::new(Delivery::default());
    let registered = Registrar::new(
        builder,
        CheckOptions::new().critical(false),
        Naming::Alias(Some(name.clone())),
    )
    .add(DeliveryCheck(Arc::clone(&delivery)));
    let target = Target {
        check_name: registered.name,
        name,
        format,
        url,
        shown_url,
        header: header_of(&keys, diagnostics, env)?,
        min_interval,
        timeout,
        tries,
        service: service.map(str::to_owned),
        delivery,
    };
    Ok((registered.builder, Declared { target, span, keys }))
}

/// Locates a rule of the registry that the target's delivery check broke, at the key
/// its name comes from; `checks` is how many checks come before the targets.
pub(super) fn broken_rule(
    error: &BuildError,
    declared: &Declared,
    checks: usize,
    diagnostics: &Diagnostics<'_>,
) -> ConfigError {
    let section = diagnostics.locate(&declared.span).section;
    let naming = declared.keys.name.as_ref().unwrap_or(&declared.keys.kind);
    let name = if diagnostics.is_interpolated(&naming.span()) {
        REDACTED.to_owned()
    } else {
        format!("`{}`", error.name.escape_debug())
    };
    let problem = match &error.rule {
        BuildRule::DuplicateName { first } => {
            let other = match first.checked_sub(checks) {
                Some(target) => format!("notify #{}'s", target + 1),
                None => format!("check #{}'s", first + 1),
            };
            format!("its delivery check's name {name} is {other}; give each target its own `name`")
        }
        rule => format!("its delivery check's name {name} is not valid: {rule}"),
    };
    diagnostics.error(naming.span(), format!("{section}: {problem}"))
}

/// The URL, parsed, and as logs show it: `http` or `https`, with a host and without
/// credentials (which would travel in every log line of a proxy; `header` carries
/// them instead).
fn url(
    url: &Spanned<Url>,
    format: Format,
    diagnostics: &Diagnostics<'_>,
) -> Result<(Uri, String), ConfigError> {
    let text = url.get_ref().expose();
    let shown_url = format.shown_url(text);
    let parsed = match text.parse::<Uri>() {
        Err(_) if !text.contains("://") => Err("it must start with http:// or https://"),
        Err(_) => Err("it is not a URL"),
        Ok(uri) => match (uri.scheme_str(), uri.authority()) {
            (Some("http" | "https"), Some(authority)) if authority.as_str().contains('@') => {
                Err("credentials in the URL are not supported; use `header` and `header-value-env`")
            }
            (Some("http" | "https"), Some(_)) => Ok(uri),
            (Some("http" | "https"), None) => Err("it has no host"),
            _ => Err("it must start with http:// or https://"),
        },
    };
    parsed
        .map(|uri| (uri, shown_url))
        .map_err(|problem| invalid_url(diagnostics, url.span(), "URL", text, problem))
}

/// `header` and its value from the variable `header-value-env` names: both or neither.
/// The value is never shown, only the variable's name.
fn header_of(
    keys: &NotifyKeys,
    diagnostics: &Diagnostics<'_>,
    env: Env<'_>,
) -> Result<Option<Header>, ConfigError> {
    let (name, variable) = match (&keys.header, &keys.header_value_env) {
        (None, None) => return Ok(None),
        (Some(name), Some(variable)) => (name, variable),
        (Some(name), None) => {
            return Err(diagnostics.invalid(
                name.span(),
                "needs `header-value-env` too: the environment variable that holds its value",
            ));
        }
        (None, Some(variable)) => {
            return Err(diagnostics.invalid(
                variable.span(),
                "needs `header` too: the name of the header it is the value of",
            ));
        }
    };
    let header_name =
        HeaderName::from_bytes(non_empty(name, diagnostics)?.as_bytes()).map_err(|_| {
            diagnostics.invalid(
                name.span(),
                format!("{} is not a valid header name", diagnostics.shown(name)),
            )
        })?;
    if RESERVED_HEADERS.contains(&header_name) {
        return Err(diagnostics.invalid(
            name.span(),
            format!("{} is set by healthz itself", diagnostics.shown(name)),
        ));
    }
    let shown = diagnostics.shown(variable);
    let problem = match env(non_empty(variable, diagnostics)?) {
        Err(VarError::NotPresent) => format!("the environment variable {shown} is not set"),
        Err(VarError::NotUnicode(_)) => {
            format!("the environment variable {shown} is not valid UTF-8")
        }
        Ok(value) if value.trim().is_empty() => {
            format!("the environment variable {shown} is empty")
        }
        Ok(value) => match HeaderValue::from_str(&value) {
            Ok(mut value) => {
                value.set_sensitive(true);
                return Ok(Some(Header {
                    name: header_name,
                    value,
                }));
            }
            Err(_) => format!(
                "the environment variable {shown} holds characters an HTTP header cannot carry (a line break, a control character)"
            ),
        },
    };
    Err(diagnostics.invalid(variable.span(), problem))
}

#[cfg(test)]
mod tests {
    use crate::config::tests::{error, error_with, parse_with};

    const CHECK: &str = "[[check]]\nkind = \"memory-cache\"\n\n";

    /// The config with a memory-cache check, and a `[[notify]]` of `keys`.
    fn notify(keys: &str) -> String {
        format!("{CHECK}[[notify]]\n{keys}")
    }

    #[test]
    fn targets_are_read_with_their_defaults_and_add_their_check() {
        let config = parse_with(
            &format!(
                "[server]\nservice = \"orders\"\n\n{}{}",
                notify("kind = \"webhook\"\nurl = \"http://127.0.0.1:9/hook?token=hunter2\"\nheader = \"Authorization\"\nheader-value-env = \"HOOK_AUTH\"\n"),
                "[[notify]]\nkind = \"slack\"\nurl = \"https://hooks.slack.com/services/T0/B0/hunter2\"\nname = \"team\"\nmin-interval = \"5m\"\ntimeout = \"2s\"\ntries = 1\n",
            ),
            &[("HOOK_AUTH", "Bearer hunter2")],
        )
        .unwrap();
        assert_eq!(config.checks, ["CacheBackend"]);
        let names: Vec<&str> = config.endpoint.registry().check_names().collect();
        assert_eq!(
            names,
            [
                "CacheBackend",
                "Notifications[webhook]",
                "Notifications[team]"
            ]
        );
        let [webhook, slack] = [&config.notify[0], &config.notify[1]];
        assert_eq!(webhook.shown_url, "http://127.0.0.1:9/hook?token=***");
        assert_eq!(webhook.tries, 3);
        assert_eq!(webhook.timeout, std::time::Duration::from_secs(5));
        assert_eq!(webhook.min_interval, None);
        assert_eq!(webhook.service.as_deref(), Some("orders"));
        assert!(webhook.header.as_ref().unwrap().value.is_sensitive());
        assert_eq!(slack.shown_url, "https://hooks.slack.com/***");
        assert_eq!(
            (
                slack.tries,
                slack.timeout.as_secs(),
                slack.min_interval.map(|d| d.as_secs())
            ),
            (1, 2, Some(300))
        );
        // Neither the URLs' secrets nor the header's value are in the Debug output.
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn every_key_s_errors_name_the_file_line_and_key() {
        let url = "url = \"http://h/\"\n";
        assert_eq!(
            error(&notify(&format!("kind = \"webhook\"\n{url}urll = 1\n"))),
            "health.toml:7: unknown key `urll` in a [[notify]] target; did you mean `url`? (expected one of: kind, name, url, header, header-value-env, min-interval, timeout, tries)"
        );
        assert_eq!(
            error(&notify("kind = \"webhook\"\n")),
            "health.toml:4: notify #1 (webhook): missing key `url`"
        );
        assert_eq!(
            error(&notify(&format!("kind = \"email\"\n{url}"))),
            "health.toml:5: notify #1: `kind`: unknown kind `email` (expected one of: webhook, slack)"
        );
        assert_eq!(
            error(&notify("kind = \"webhook\"\nurl = \"ftp://h/x\"\n")),
            "health.toml:6: notify #1 (webhook): `url`: invalid URL: it must start with http:// or https://"
        );
        assert_eq!(
            error(&notify(
                "kind = \"webhook\"\nurl = \"http://user:hunter2@h/x\"\n"
            )),
            "health.toml:6: notify #1 (webhook): `url`: invalid URL: credentials in the URL are not supported; use `header` and `header-value-env`"
        );
        assert_eq!(
            error(&notify(
                "kind = \"slack\"\nurl = \"hooks.slack.com/services/T0/B0/hunter2\"\n"
            )),
            "health.toml:6: notify #1 (slack): `url`: invalid URL: it must start with http:// or https://"
        );
        assert_eq!(
            error(&notify(
                "kind = \"slack\"\nurl = \"https:///services/T0/B0/hunter2\"\n"
            )),
            "health.toml:6: notify #1 (slack): `url`: invalid URL: it is not a URL"
        );
        assert_eq!(
            error_with(
                &notify("kind = \"slack\"\nurl = \"${SLACK_URL}\"\n"),
                &[("SLACK_URL", "https://hooks.slack.com/services/hunter2 x")]
            ),
            "health.toml:6: notify #1 (slack): `url`: invalid URL: it is not a URL"
        );
        assert_eq!(
            error(&notify(&format!("kind = \"webhook\"\n{url}name = \"\"\n"))),
            "health.toml:7: notify #1 (webhook): `name`: must not be empty"
        );
        assert_eq!(
            error(&notify(&format!(
                "kind = \"webhook\"\n{url}min-interval = \"0s\"\n"
            ))),
            "health.toml:7: notify #1 (webhook): `min-interval`: must be more than zero"
        );
        assert_eq!(
            error(&notify(&format!(
                "kind = \"webhook\"\n{url}min-interval = \"2days\"\n"
            ))),
            "health.toml:7: notify #1 (webhook): `min-interval`: must be at most 1day, not `2days`"
        );
        assert_eq!(
            error(&notify(&format!(
                "kind = \"webhook\"\n{url}timeout = \"1h\"\n"
            ))),
            "health.toml:7: notify #1 (webhook): `timeout`: must be at most 5m, not `1h`"
        );
        assert_eq!(
            error(&notify(&format!("kind = \"webhook\"\n{url}tries = 0\n"))),
            "health.toml:7: notify #1 (webhook): `tries`: must be from 1 to 10, not 0"
        );
        assert_eq!(
            error(&notify(&format!("kind = \"webhook\"\n{url}tries = 11\n"))),
            "health.toml:7: notify #1 (webhook): `tries`: must be from 1 to 10, not 11"
        );
        assert_eq!(
            error("[notify]\nkind = \"webhook\"\n"),
            "health.toml:1: `[notify]` is a single table: write each target as an array table, `[[notify]]`, with double brackets"
        );
    }

    #[test]
    fn the_header_s_value_comes_from_the_environment_and_is_never_shown() {
        let target =
            |keys: &str| notify(&format!("kind = \"webhook\"\nurl = \"http://h/\"\n{keys}"));
        assert_eq!(
            error(&target("header = \"Authorization\"\n")),
            "health.toml:7: notify #1 (webhook): `header`: needs `header-value-env` too: the environment variable that holds its value"
        );
        assert_eq!(
            error(&target("header-value-env = \"HOOK_AUTH\"\n")),
            "health.toml:7: notify #1 (webhook): `header-value-env`: needs `header` too: the name of the header it is the value of"
        );
        let both = target("header = \"Authorization\"\nheader-value-env = \"HOOK_AUTH\"\n");
        assert_eq!(
            error(&both),
            "health.toml:8: notify #1 (webhook): `header-value-env`: the environment variable `HOOK_AUTH` is not set"
        );
        assert_eq!(
            error_with(&both, &[("HOOK_AUTH", " ")]),
            "health.toml:8: notify #1 (webhook): `header-value-env`: the environment variable `HOOK_AUTH` is empty"
        );
        assert_eq!(
            error_with(&both, &[("HOOK_AUTH", "Bearer hunter2\nX-Forged: 1")]),
            "health.toml:8: notify #1 (webhook): `header-value-env`: the environment variable `HOOK_AUTH` holds characters an HTTP header cannot carry (a line break, a control character)"
        );
        assert_eq!(
            error(&target(
                "header = \"Bad Header\"\nheader-value-env = \"HOOK_AUTH\"\n"
            )),
            "health.toml:7: notify #1 (webhook): `header`: `Bad Header` is not a valid header name"
        );
        assert_eq!(
            error(&target(
                "header = \"Content-Type\"\nheader-value-env = \"HOOK_AUTH\"\n"
            )),
            "health.toml:7: notify #1 (webhook): `header`: `Content-Type` is set by healthz itself"
        );
    }

    #[test]
    fn names_taken_by_another_target_or_a_check_are_located() {
        let webhook = "[[notify]]\nkind = \"webhook\"\nurl = \"http://h/\"\n";
        assert_eq!(
            error(&format!("{CHECK}{webhook}{webhook}")),
            "health.toml:8: notify #2 (webhook): its delivery check's name `Notifications[webhook]` is notify #1's; give each target its own `name`"
        );
        assert_eq!(
            error(&format!(
                "[[check]]\nkind = \"memory-cache\"\nname = \"Notifications[ops]\"\n\n{webhook}name = \"ops\"\n"
            )),
            "health.toml:8: notify #1 (webhook): its delivery check's name `Notifications[ops]` is check #1's; give each target its own `name`"
        );
        assert_eq!(
            error(&format!("{webhook}name = \"a:b\"\n")),
            "health.toml:4: notify #1 (webhook): its delivery check's name `Notifications[a:b]` is not valid: the name holds `:`; names may not hold control characters, bidirectional controls or `:`"
        );
    }
}

//! How an S3 answer that refused a step becomes a [`CheckError`]: from the S3 error
//! code in its body, with the secret masked.

use http::{Response, StatusCode};
use hyper::body::Incoming;
use rusty_s3::Credentials;

use super::S3Storage;
use super::xml::xml_text;
use crate::CheckError;
use crate::checks::http_client::read_body;
use crate::redact::Redactor;

/// The most of an error answer the check reads.
const MAX_ERROR_BODY: usize = 64 << 10;

impl S3Storage {
    /// The error for an answer that refused a step, from the S3 error code it holds,
    /// with the `credentials` the request was signed with masked.
    pub(super) async fn refused(
        &self,
        step: &str,
        key: &str,
        response: Response<Incoming>,
        credentials: Option<&Credentials>,
    ) -> CheckError {
        let status = response.status();
        let body = read_body(response.into_body(), MAX_ERROR_BODY)
            .await
            .unwrap_or_default();
        let body = String::from_utf8_lossy(&body);
        let code = xml_text(&body, "Code");
        let message = xml_text(&body, "Message");
        let object = format!("s3://{}/{key}", self.bucket);
        let text = match code.as_deref() {
            Some("NoSuchBucket") => format!(
                "bucket {:?} does not exist at {}",
                self.bucket,
                self.shown_endpoint()
            ),
            Some("NoSuchKey") => {
                return CheckError::unexpected_result(format!(
                    "cannot {step} {object}: it is missing right after it was written"
                ));
            }
            Some(code @ "InvalidAccessKeyId") => {
                format!("cannot {step} {object}: the access key ID is not known ({code})")
            }
            Some(code @ "SignatureDoesNotMatch") => format!(
                "cannot {step} {object}: the secret access key does not match the access key ID ({code})"
            ),
            Some(code @ ("AccessDenied" | "AllAccessDisabled")) => {
                format!("cannot {step} {object}: access denied ({code})")
            }
            Some(code) => match message {
                Some(message) => format!(
                    "cannot {step} {object}: {} {code}: {message}",
                    status.as_u16()
                ),
                None => format!("cannot {step} {object}: {} {code}", status.as_u16()),
            },
            None => match status {
                StatusCode::FORBIDDEN => format!("cannot {step} {object}: access denied (403)"),
                StatusCode::NOT_FOUND => format!("cannot {step} {object}: not found (404)"),
                _ => format!("cannot {step} {object}: S3 answered {}", status.as_u16()),
            },
        };
        CheckError::unavailable(redactor(credentials).redact(&text))
    }
}

/// Knows the secret and the session token, to mask them in any text that came from
/// the server.
fn redactor(credentials: Option<&Credentials>) -> Redactor {
    let mut redactor = Redactor::default();
    if let Some(credentials) = credentials {
        redactor.add_secret(credentials.secret());
        if let Some(token) = credentials.token() {
            redactor.add_secret(token);
        }
    }
    redactor
}

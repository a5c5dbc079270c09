//! How an S3 answer that refused a step becomes a [`CheckError`]: from the S3 error
//! code in its body, with the secret masked.

use http::{Response, StatusCode};
use hyper::body::Incoming;

use super::S3Storage;
use crate::CheckError;
use crate::checks::http_client::read_body;

/// The most of an error answer the check reads.
const MAX_ERROR_BODY: usize = 64 << 10;

impl S3Storage {
    /// The error for an answer that refused a step, from the S3 error code it holds.
    pub(super) async fn refused(
        &self,
        step: &str,
        key: &str,
        response: Response<Incoming>,
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
        CheckError::unavailable(self.redactor().redact(&text))
    }
}

/// The text of the first `<tag>…</tag>` in an S3 error document.
fn xml_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{tag}>"))?;
    let text = body[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_documents_are_read() {
        let body = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>\
                    <Message>The request signature we calculated does not match &amp; so on</Message></Error>";
        assert_eq!(xml_text(body, "Code").unwrap(), "SignatureDoesNotMatch");
        assert_eq!(
            xml_text(body, "Message").unwrap(),
            "The request signature we calculated does not match & so on"
        );
        assert_eq!(xml_text(body, "Key"), None);
        assert_eq!(xml_text("<Code></Code>", "Code"), None);
    }
}

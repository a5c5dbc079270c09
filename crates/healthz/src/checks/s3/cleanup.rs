//! The background delete of a probe object whose run was cut short.

use std::time::Duration;

use http::{Method, StatusCode};
use hyper::body::Bytes;
use rusty_s3::{Bucket, Credentials, S3Action as _};

use super::{SIGNATURE_TTL, send};
use crate::checks::cleanup::spawn_cleanup;
use crate::checks::http_client::HttpClient;

/// How long the background clean-up of an interrupted run may take, in all.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(10);

/// When the background clean-up deletes a second time.
const CLEANUP_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The probe object of a run, deleted in the background if the run ends before it
/// deleted the object itself.
pub(super) struct ProbeObject(pub(super) Option<Cleanup>);

impl ProbeObject {
    /// The object is gone (or was never written): nothing to clean up.
    pub(super) fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for ProbeObject {
    fn drop(&mut self) {
        // Without a runtime (the process is shutting down) there is nothing to run the
        // delete on; the object stays, under the probe prefix.
        if let Some(cleanup) = self.0.take() {
            spawn_cleanup(cleanup.run());
        }
    }
}

/// What a background delete needs.
pub(super) struct Cleanup {
    pub(super) client: HttpClient,
    pub(super) bucket: Bucket,
    pub(super) credentials: Option<Credentials>,
    pub(super) key: String,
}

impl Cleanup {
    async fn run(self) {
        let mut left = LeftBehind {
            bucket: self.bucket.name(),
            key: &self.key,
            deleted: false,
        };
        let deleted = tokio::time::timeout(CLEANUP_TIMEOUT, async {
            let first = self.delete().await;
            // The interrupted put may still be processed after the first delete.
            tokio::time::sleep(CLEANUP_RETRY_AFTER).await;
            self.delete().await || first
        })
        .await;
        if deleted == Ok(true) {
            left.deleted = true;
            tracing::debug!(
                bucket = left.bucket,
                key = left.key,
                "deleted the probe object of an interrupted check"
            );
        }
    }

    async fn delete(&self) -> bool {
        let url = self
            .bucket
            .delete_object(self.credentials.as_ref(), &self.key)
            .sign(SIGNATURE_TTL);
        matches!(
            send(&self.client, Method::DELETE, &url, Bytes::new()).await,
            Ok(response) if response.status().is_success() || response.status() == StatusCode::NOT_FOUND
        )
    }
}

/// Names the probe object in a warning when dropped before it was deleted: after a
/// failed delete, and also when the clean-up itself is dropped unfinished, as a
/// short-lived program's runtime drops it once the program stops waiting for it.
struct LeftBehind<'a> {
    bucket: &'a str,
    key: &'a str,
    deleted: bool,
}

impl Drop for LeftBehind<'_> {
    fn drop(&mut self) {
        if !self.deleted {
            tracing::warn!(
                bucket = self.bucket,
                key = self.key,
                "could not delete the probe object of an interrupted check; it stays under the probe prefix"
            );
        }
    }
}

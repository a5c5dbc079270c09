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
        let deleted = tokio::time::timeout(CLEANUP_TIMEOUT, async {
            let first = self.delete().await;
            // The interrupted put may still be processed after the first delete.
            tokio::time::sleep(CLEANUP_RETRY_AFTER).await;
            self.delete().await || first
        })
        .await;
        let bucket = self.bucket.name();
        let key = self.key.as_str();
        if deleted == Ok(true) {
            tracing::debug!(
                bucket,
                key,
                "deleted the probe object of an interrupted check"
            );
        } else {
            tracing::warn!(
                bucket,
                key,
                "could not delete the probe object of an interrupted check"
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

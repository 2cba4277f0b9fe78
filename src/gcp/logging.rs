//! Cloud Logging v2 `entries.list` (`POST v2/entries:list`, logging/v2/logging-api.json in
//! googleapis/google-api-go-client): every page of a query, each page retried on 429/5xx and
//! dropped connections within the retry budget like every other call (`super::retry`). The
//! request is the one gcloud 528's `logging read` sends (`api_lib/logging/common.py`
//! `FetchLogs`): `resourceNames`, `filter`, `orderBy: "timestamp desc"` and `pageSize` 1000, the
//! backend's upper limit.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::{Gcp, Op};
use crate::error::Error;
use crate::iam::ResourceId;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", bound = "T: DeserializeOwned")]
struct Page<T> {
    #[serde(default = "Vec::new")]
    entries: Vec<T>,
    #[serde(default)]
    next_page_token: String,
}

/// Pages read at most for one query: 10,000,000 entries at 1,000 a page, far beyond any scope's
/// 400 days of `setIamPolicy` entries; a server that never stops handing out tokens is an error,
/// not a loop.
const MAX_PAGES: usize = 10_000;

impl Gcp {
    /// Every entry of `container`'s logs matching `filter`, newest first, across all pages, read
    /// as `T` (the fields a caller needs; the others are skipped). `label` names the scope in
    /// messages.
    pub async fn log_entries<T: DeserializeOwned>(
        &self,
        container: &str,
        filter: &str,
        label: &str,
    ) -> crate::Result<Vec<T>> {
        let mut entries = Vec::new();
        let mut token = String::new();
        for page in 1..=MAX_PAGES {
            let mut body = json!({
                "resourceNames": [container],
                "filter": filter,
                "orderBy": "timestamp desc",
                "pageSize": crate::history::PAGE_SIZE,
            });
            if !token.is_empty() {
                body["pageToken"] = json!(token);
            }
            self.log(&format!("{label}: entries.list of {container}, page {page}"));
            let op =
                Op { resource: label, verb: "entries.list", endpoint: self.inner.clients.logging_shown() };
            let bytes =
                self.retrying(op, || self.inner.clients.list_log_entries(body.clone(), label)).await?;
            let got: Page<T> = serde_json::from_slice(&bytes).map_err(|e| Error::Api {
                resource: label.to_string(),
                status: None,
                message: format!(
                    "the answer from `{}` to entries.list is not a page of log entries (cut short or not JSON): {}",
                    self.inner.clients.logging_shown(),
                    super::errors::redact(&e.to_string())
                ),
            })?;
            entries.extend(got.entries);
            if got.next_page_token.is_empty() {
                return Ok(entries);
            }
            if got.next_page_token == token {
                return Err(Error::Api {
                    resource: label.to_string(),
                    status: None,
                    message: format!(
                        "`{}` answered entries.list with the page token it was sent; stopping instead of looping",
                        self.inner.clients.logging_shown()
                    ),
                });
            }
            token = got.next_page_token;
        }
        Err(Error::Api {
            resource: label.to_string(),
            status: None,
            message: format!(
                "more than {MAX_PAGES} pages of log entries; narrow --since, --role or --member"
            ),
        })
    }

    /// The number of the project a bucket belongs to (Cloud Storage `buckets.get`), retried
    /// like every read.
    pub async fn bucket_project_number(&self, r: &ResourceId) -> crate::Result<String> {
        let name = r.name();
        let op = self.op_on(r, &name, "buckets.get");
        self.retrying(op, || self.inner.clients.bucket_project_number(r)).await
    }
}

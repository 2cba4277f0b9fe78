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
}

/// A page's token alone; its entries are skipped unread.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NextToken {
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
        let mut bytes = self.log_page(container, filter, label, &token, 1).await?;
        for page in 1..=MAX_PAGES {
            // Only the token first (the entries are skipped, not built): the pages are sequential,
            // each needing the previous one's token, but reading this page's entries need not
            // hold up asking for the next one.
            let next = self.page_part::<NextToken>(&bytes, label)?.next_page_token;
            if next.is_empty() {
                entries.extend(self.page_part::<Page<T>>(&bytes, label)?.entries);
                return Ok(entries);
            }
            if next == token {
                return Err(Error::Api {
                    resource: label.to_string(),
                    status: None,
                    message: format!(
                        "`{}` answered entries.list with the page token it was sent; stopping instead of looping",
                        self.inner.clients.logging_shown()
                    ),
                });
            }
            // `join!` polls the request first, so it is on its way while this page is parsed.
            let (fetched, parsed) =
                futures::join!(self.log_page(container, filter, label, &next, page + 1), async {
                    self.page_part::<Page<T>>(&bytes, label)
                });
            entries.extend(parsed?.entries);
            bytes = fetched?;
            token = next;
        }
        Err(Error::Api {
            resource: label.to_string(),
            status: None,
            message: format!(
                "more than {MAX_PAGES} pages of log entries; narrow --since, --role or --member"
            ),
        })
    }

    /// One `entries.list` page (`token` empty for the first), retried like every read.
    async fn log_page(
        &self,
        container: &str,
        filter: &str,
        label: &str,
        token: &str,
        page: usize,
    ) -> crate::Result<Vec<u8>> {
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
        let op = Op { resource: label, verb: "entries.list", endpoint: self.inner.clients.logging_shown() };
        self.retrying(op, || self.inner.clients.list_log_entries(body.clone(), label)).await
    }

    /// The part `P` of a page's JSON, or an error naming the answer as no page.
    fn page_part<P: DeserializeOwned>(&self, bytes: &[u8], label: &str) -> crate::Result<P> {
        serde_json::from_slice(bytes).map_err(|e| Error::Api {
            resource: label.to_string(),
            status: None,
            message: format!(
                "the answer from `{}` to entries.list is not a page of log entries (cut short or not JSON): {}",
                self.inner.clients.logging_shown(),
                super::errors::redact(&e.to_string())
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

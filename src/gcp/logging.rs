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
    entries: Vec<Lenient<T>>,
    #[serde(default)]
    next_page_token: String,
}

/// One entry of a page: `None` when it is not an entry jit can read (issue 17 item 7: one malformed
/// entry is skipped and counted, it does not fail `jit history`).
struct Lenient<T>(Option<T>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        Ok(Lenient(serde_json::from_str(raw.get()).ok()))
    }
}

/// The entries of a page that parse, counting those that do not in `skipped`.
fn readable<T>(entries: Vec<Lenient<T>>, skipped: &mut usize) -> impl Iterator<Item = T> {
    let total = entries.len();
    let read: Vec<T> = entries.into_iter().filter_map(|e| e.0).collect();
    *skipped += total - read.len();
    read.into_iter()
}

/// The value of the string member `key` of the JSON object `json` at its top level, found by
/// stepping over strings (and their escapes) and nested values without reading them. `None` when
/// the text is not an object the scan can follow, when the member is missing, or when its value
/// is not a plain string (with an escape in it, say): serde then reads the page for it.
fn top_level_string(json: &[u8], key: &[u8]) -> Option<String> {
    let mut i = json.iter().position(|b| !b.is_ascii_whitespace())?;
    if json[i] != b'{' {
        return None;
    }
    i += 1;
    let mut depth = 1usize;
    // Whether the next string at depth 1 is a key (after `{` or `,`) rather than a value.
    let mut expecting_key = true;
    while i < json.len() {
        match json[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < json.len() && json[j] != b'"' {
                    j += if json[j] == b'\\' { 2 } else { 1 };
                }
                if j >= json.len() {
                    return None;
                }
                if depth == 1 && expecting_key && &json[start..j] == key {
                    // `"key" : "value"`, the value without escapes.
                    let rest = &json[j + 1..];
                    let colon = rest.iter().position(|b| !b.is_ascii_whitespace())?;
                    if rest[colon] != b':' {
                        return None;
                    }
                    let after = &rest[colon + 1..];
                    let open = after.iter().position(|b| !b.is_ascii_whitespace())?;
                    if after[open] != b'"' {
                        return None;
                    }
                    let value = &after[open + 1..];
                    let close = value.iter().position(|&b| b == b'"' || b == b'\\')?;
                    if value[close] != b'"' {
                        return None;
                    }
                    return std::str::from_utf8(&value[..close]).ok().map(str::to_string);
                }
                if depth == 1 {
                    expecting_key = false;
                }
                i = j + 1;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return None;
                }
            }
            b',' if depth == 1 => expecting_key = true,
            _ => {}
        }
        i += 1;
    }
    None
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
    ) -> crate::Result<(Vec<T>, usize)> {
        let mut entries = Vec::new();
        let mut skipped = 0;
        let mut token = String::new();
        let mut bytes = self.log_page(container, filter, label, &token, 1).await?;
        for page in 1..=MAX_PAGES {
            // Only the token first: the pages are sequential, each needing the previous one's
            // token, but reading this page's entries need not hold up asking for the next one.
            // The token is found by a scan of the page's top level (entries are stepped over, not
            // read); when the scan finds none, serde reads the page for it. Either way the full
            // read below must agree.
            let next = match top_level_string(&bytes, b"nextPageToken") {
                Some(token) => token,
                None => self.page_part::<NextToken>(&bytes, label)?.next_page_token,
            };
            if next.is_empty() {
                let page = self.page_part::<Page<T>>(&bytes, label)?;
                self.same_token(&page, &next, label)?;
                entries.extend(readable(page.entries, &mut skipped));
                return Ok((entries, skipped));
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
            // `join!` polls the request first; the parse then yields once, so that the HTTP
            // connection's task (hyper's, on this one-thread runtime) writes the request before
            // the parse takes the thread: the next page is on its way while this one is read.
            let (fetched, parsed) =
                futures::join!(self.log_page(container, filter, label, &next, page + 1), async {
                    tokio::task::yield_now().await;
                    self.page_part::<Page<T>>(&bytes, label)
                });
            let parsed = parsed?;
            self.same_token(&parsed, &next, label)?;
            entries.extend(readable(parsed.entries, &mut skipped));
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

    /// The full read of a page must find the token the scan found.
    fn same_token<T>(&self, page: &Page<T>, scanned: &str, label: &str) -> crate::Result<()> {
        if page.next_page_token == scanned {
            return Ok(());
        }
        Err(Error::Api {
            resource: label.to_string(),
            status: None,
            message: format!(
                "the answer from `{}` to entries.list holds more than one page token",
                self.inner.clients.logging_shown()
            ),
        })
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

#[cfg(test)]
mod tests {

    /// Issue 17 item 7: an entry that does not parse is skipped and counted; the others are read.
    #[test]
    fn a_malformed_entry_is_skipped_and_counted() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Entry {
            #[serde(rename = "logName")]
            log_name: String,
        }
        let page: Page<Entry> = serde_json::from_str(
            r#"{"entries": [{"logName": "a"}, {"logName": 5}, "not an entry", {"logName": "b"}], "nextPageToken": ""}"#,
        )
        .unwrap();
        let mut skipped = 0;
        let read: Vec<Entry> = readable(page.entries, &mut skipped).collect();
        assert_eq!(read, [Entry { log_name: "a".into() }, Entry { log_name: "b".into() }]);
        assert_eq!(skipped, 2);
    }
    use super::{Page, readable, top_level_string};

    #[test]
    fn the_scan_finds_only_the_top_level_token() {
        let find = |json: &str| top_level_string(json.as_bytes(), b"nextPageToken");
        assert_eq!(find(r#"{"entries":[{"a":1}],"nextPageToken":"t-2"}"#), Some("t-2".into()));
        assert_eq!(find(r#" { "nextPageToken" : "x" , "entries": [] }"#), Some("x".into()));
        // The name inside an entry, as a key or as a value, is not the page's token.
        assert_eq!(find(r#"{"entries":[{"nextPageToken":"no"}],"nextPageToken":"yes"}"#), Some("yes".into()));
        assert_eq!(find(r#"{"entries":["nextPageToken"],"k":"nextPageToken"}"#), None);
        assert_eq!(find(r#"{"entries":[{"m":"a \"nextPageToken\": \"no\" }"}]}"#), None);
        assert_eq!(find(r#"{"entries":[]}"#), None);
        // What the scan does not follow is left to serde.
        assert_eq!(find(r#"{"nextPageToken":"a\u0041"}"#), None);
        assert_eq!(find(r#"{"nextPageToken":7}"#), None);
        assert_eq!(find(r#"[{"nextPageToken":"x"}]"#), None);
        assert_eq!(find(r#"{"entries":[{"#), None);
        assert_eq!(find(""), None);
    }
}

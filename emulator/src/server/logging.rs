//! Cloud Logging API v2's `entries.list` (`POST /v2/entries:list`, logging/v2/logging-api.json in
//! googleapis/google-api-go-client) over the Admin Activity entries the store writes for every
//! successful `setIamPolicy` (`state::audit_log`).
//!
//! The request is a `ListLogEntriesRequest`: `resourceNames` (`projects/ID|NUMBER`,
//! `folders/N`, `organizations/N`; the deprecated `projectIds` too), `filter` (the part of the
//! Logging query language `state::log_query` reads; anything else is a 400), `orderBy`
//! (`timestamp asc`, the default, or `timestamp desc`; "Entries with equal timestamps are
//! returned in order of their insert_id values"), `pageSize` (default 50, negative refused; more
//! than 1,000 is served as 1,000, the backend's upper limit gcloud's `FetchLogs` names) and
//! `pageToken`; `?prettyPrint=false` gives compact JSON, as from every Google API. Reading needs `logging.logEntries.list` on every resource named: Admin Activity
//! audit logs are readable with it (Logs Viewer), Data Access logs would need
//! `logging.privateLogEntries.list` (<https://cloud.google.com/logging/docs/access-control>).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use serde::Serialize;

use super::wire::{self, ApiError};
use super::{Req, Routed, Shared, lock, ok};
use crate::state::log_query;
use crate::state::{Caller, Kind, LogQueryCache, Store};

/// The permission `entries.list` checks on each resource for audit (not private) logs.
pub const LIST_PERMISSION: &str = "logging.logEntries.list";

/// The most entries one page holds.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// The container a `resourceNames` item names, as the store keys it (`projects/ID`, …).
fn container(store: &Store, name: &str) -> Result<String, ApiError> {
    let bad = || {
        ApiError::invalid(format!(
            "Invalid resource name: \"{name}\". Expected projects/[PROJECT_ID], organizations/[ORGANIZATION_ID], \
             billingAccounts/[BILLING_ACCOUNT_ID] or folders/[FOLDER_ID]."
        ))
    };
    let (collection, id) = name.split_once('/').ok_or_else(bad)?;
    if id.is_empty() || id.contains('/') {
        return Err(bad());
    }
    let kind = Kind::from_collection(collection).ok_or_else(bad)?;
    // Google answers an unknown container and a missing permission alike (403).
    Ok(store.find(kind, id).map(|f| f.key).unwrap_or_else(|| name.to_string()))
}

fn timestamp(entry: &Value) -> Option<DateTime<Utc>> {
    let t = entry.get("timestamp")?.as_str()?;
    DateTime::parse_from_rfc3339(t).ok().map(|t| t.with_timezone(&Utc))
}

fn insert_id(entry: &Value) -> &str {
    entry.get("insertId").and_then(Value::as_str).unwrap_or_default()
}

/// The container of an entry's log: `projects/P` of `projects/P/logs/…`.
fn log_container(entry: &Value) -> Option<&str> {
    let name = entry.get("logName")?.as_str()?;
    name.find("/logs/").map(|i| &name[..i])
}

/// `POST /v2/entries:list`.
pub(crate) fn list_entries(shared: &Shared, caller: &Caller, req: &Req) -> Result<Routed, ApiError> {
    let body = req.json()?;
    let mut names: Vec<String> = Vec::new();
    for (field, prefix) in [("resourceNames", ""), ("projectIds", "projects/")] {
        match body.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    let s = item.as_str().ok_or_else(|| {
                        ApiError::invalid(format!("Invalid value at '{field}': not a string."))
                    })?;
                    names.push(format!("{prefix}{s}"));
                }
            }
            Some(_) => return Err(ApiError::invalid(format!("Invalid value at '{field}': not a list."))),
        }
    }
    if names.is_empty() {
        return Err(ApiError::invalid("resource_names is required."));
    }
    let filter_text = body.get("filter").and_then(Value::as_str).unwrap_or_default();
    let filter = log_query::parse(filter_text)
        .and_then(|f| log_query::validate(&f).map(|()| f))
        .map_err(|e| ApiError::invalid(format!("Unparseable filter: {e}")))?;
    let descending = match body.get("orderBy").and_then(Value::as_str).map(|s| s.trim().to_ascii_lowercase())
    {
        None => false,
        Some(o) if o.is_empty() || o == "timestamp asc" || o == "timestamp" => false,
        Some(o) if o == "timestamp desc" => true,
        Some(o) => {
            return Err(ApiError::invalid(format!(
                "Invalid order_by: \"{o}\". Only \"timestamp asc\" and \"timestamp desc\" are supported."
            )));
        }
    };
    let page_size = match body.get("pageSize") {
        None | Some(Value::Null) => 50,
        Some(v) => super::resource_manager::as_i64(v)
            .ok_or_else(|| ApiError::invalid("Invalid value at 'page_size' (TYPE_INT32)."))?,
    };
    if page_size < 0 {
        return Err(ApiError::invalid(format!("Invalid page_size: {page_size}. It must not be negative.")));
    }
    let page_size = if page_size == 0 { 50 } else { page_size.min(MAX_PAGE_SIZE) } as usize;
    let start = match body.get("pageToken").and_then(Value::as_str).filter(|t| !t.is_empty()) {
        Some(t) => t
            .strip_prefix("emu-log-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| ApiError::invalid("Invalid page token."))?,
        None => 0,
    };

    let mut store = lock(&shared.store);
    let now = store.now(Utc::now());
    let mut containers = Vec::new();
    for name in &names {
        let key = container(&store, name)?;
        if !store.has_permission(caller, &key, LIST_PERMISSION, now) || store.find_key(&key).is_none() {
            // IAM's words for a permission it denies on a resource it does not name (see
            // `ApiError::iam_denied`; Logging's own in kubeflow/pipelines#12591).
            return Err(ApiError::iam_denied(LIST_PERMISSION));
        }
        containers.push(key);
    }
    // The next pages of a query are cut from its first page's matches while the log is
    // unchanged: a 10,000-entry log is filtered and sorted once, not once per page.
    let query = format!("{descending}\u{0}{}\u{0}{filter_text}", containers.join(","));
    let version = store.log_version();
    let cached = store.log_cache.as_ref().filter(|c| c.version == version && c.query == query);
    let matches = match cached {
        Some(c) => c.matches.clone(),
        None => {
            let entries = &store.data.log_entries;
            // Each entry's time is parsed once, not once per comparison. "Entries with equal
            // timestamps are returned in order of their insert_id values", in either order
            // (ListLogEntriesRequest.orderBy).
            let mut keyed: Vec<(Option<DateTime<Utc>>, &str, usize)> = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| log_container(e).is_some_and(|c| containers.iter().any(|k| k == c)))
                .filter(|(_, e)| log_query::matches(&filter, e))
                .map(|(i, e)| (timestamp(e), insert_id(e), i))
                .collect();
            keyed.sort_by(|a, b| {
                let by_time = if descending { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) };
                by_time.then_with(|| a.1.cmp(b.1))
            });
            let matches: Vec<usize> = keyed.into_iter().map(|(_, _, i)| i).collect();
            store.log_cache = Some(LogQueryCache { query, version, matches: matches.clone() });
            matches
        }
    };
    let end = start.saturating_add(page_size).min(matches.len());
    let indexes = matches.get(start..end).unwrap_or_default();
    let page = || -> Vec<&Value> { indexes.iter().map(|&i| &store.data.log_entries[i]).collect() };
    let next = (end < matches.len()).then(|| format!("emu-log-{end}"));
    if req.query_param("fields").is_some() {
        // A partial response (`fields=`) goes through the common path, which cuts the value.
        let mut out = Map::new();
        if !indexes.is_empty() {
            out.insert("entries".into(), Value::Array(page().into_iter().cloned().collect()));
        }
        if let Some(t) = next {
            out.insert("nextPageToken".into(), json!(t));
        }
        return ok(Value::Object(out));
    }
    let pretty = req.query_param("prettyPrint").is_none_or(|v| v != "false");
    if pretty {
        // Serialised from the stored entries themselves: a page of 1,000 is about 2 MB, which a
        // copy would double.
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Page<'a> {
            #[serde(skip_serializing_if = "Vec::is_empty")]
            entries: Vec<&'a Value>,
            #[serde(skip_serializing_if = "Option::is_none")]
            next_page_token: Option<String>,
        }
        return Ok(Routed::Raw(wire::json_response_printed(
            200,
            &Page { entries: page(), next_page_token: next },
            true,
        )));
    }
    // Compact, as `prettyPrint=false` asks: the stored texts of the entries joined, in the shape
    // serde would give (`entries` first, each member left out when empty).
    let mut text =
        String::with_capacity(indexes.iter().map(|&i| store.log_entry_json(i).len() + 1).sum::<usize>() + 64);
    text.push('{');
    if !indexes.is_empty() {
        text.push_str("\"entries\":[");
        for (n, &i) in indexes.iter().enumerate() {
            if n > 0 {
                text.push(',');
            }
            text.push_str(store.log_entry_json(i));
        }
        text.push(']');
    }
    if let Some(t) = next {
        if !indexes.is_empty() {
            text.push(',');
        }
        text.push_str("\"nextPageToken\":");
        text.push_str(&serde_json::to_string(&t).unwrap_or_default());
    }
    text.push('}');
    Ok(Routed::Raw(wire::json_text_response(200, text)))
}

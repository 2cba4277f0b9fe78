//! The request and answer types every handler shares, below the routes and the services: a
//! parsed request ([`Req`]), a handler's answer ([`Routed`]), the server's limits and request log.
//! No module of the server is imported here but `wire` and `strict` (leaves), so every service
//! module can import it without a circle (issue 20).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Response, header};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::strict;
use super::wire::{self, ApiError};
use crate::state::{Caller, Kind};

/// How much one client may take. The defaults suit a local emulator that a test suite or a few
/// tools share; tests shrink them to show each bound holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; more wait in the kernel's accept queue (they hold no file
    /// descriptor of the emulator's) until one ends.
    pub max_connections: usize,
    /// Time a client has to send a request's headers once the server waits for them (hyper's
    /// `header_read_timeout`); a half-open connection is closed after it.
    pub header_read_timeout: Duration,
    /// An open connection with no request in flight for this long is closed (keep-alive).
    pub idle_timeout: Duration,
    /// Time to receive a request's body once its headers are in.
    pub body_read_timeout: Duration,
    /// Largest request body; larger ones are answered 413 without being read.
    pub max_body_bytes: usize,
    /// Entries the request log keeps (the oldest go first).
    pub log_entries: usize,
    /// Largest body the log keeps of one request; a larger one is logged by its size only.
    pub log_body_bytes: usize,
    /// Bodies the log keeps in all; past it the oldest entries lose their bodies (not their
    /// lines).
    pub log_total_body_bytes: usize,
}

/// Google's front end refuses request bodies over 10 MiB with "Request payload size exceeds the
/// limit: 10485760 bytes." (seen from many googleapis.com APIs, e.g.
/// <https://github.com/googleworkspace/dotnet-samples/issues/23>). A valid allow policy is far
/// smaller: at most 1,500 principals (<https://cloud.google.com/iam/quotas>), each a few hundred
/// bytes, plus their conditions.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(30),
            max_body_bytes: MAX_BODY_BYTES,
            // A benchmark's whole cleanup (about 2,800 calls, docs/bench) fits.
            log_entries: 10_000,
            log_body_bytes: 64 * 1024,
            log_total_body_bytes: 16 * 1024 * 1024,
        }
    }
}

/// One entry of the request log (`GET /_emulator/requests`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub time: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// The `x-goog-user-project` header (the quota project), when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_project: Option<String>,
    /// The size of a body the log did not keep (too large, or of a request that was not
    /// authenticated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_bytes: Option<usize>,
    /// Bytes of the kept body, for the log's budget.
    #[serde(skip)]
    pub(crate) kept: usize,
}

impl LogEntry {
    pub(crate) fn kept_bytes(&self) -> usize {
        if self.body.is_some() { self.kept } else { 0 }
    }
}

/// The request log, and the size of the bodies it holds.
#[derive(Debug, Default)]
pub struct Log {
    pub entries: VecDeque<LogEntry>,
    body_bytes: usize,
}

impl Log {
    pub fn clear(&mut self) {
        self.entries.clear();
        self.body_bytes = 0;
    }

    /// Adds an entry whose kept body was `size` bytes, within the limits.
    pub(crate) fn push(&mut self, entry: LogEntry, size: usize, limits: &Limits) {
        while self.entries.len() >= limits.log_entries.max(1) {
            if let Some(old) = self.entries.pop_front() {
                self.body_bytes -= old.kept_bytes();
            }
        }
        self.entries.push_back(entry);
        self.body_bytes += size;
        for old in self.entries.iter_mut() {
            if self.body_bytes <= limits.log_total_body_bytes {
                break;
            }
            let kept = old.kept_bytes();
            if kept > 0 {
                self.body_bytes -= kept;
                old.body = None;
                old.body_bytes = Some(kept);
                old.kept = 0;
            }
        }
    }
}

/// Returned to hyper to make it close the connection without an answer.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped")
    }
}

impl std::error::Error for Dropped {}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves the data as consistent as before it (every write is
    // one assignment), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A parsed request.
pub(crate) struct Req {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Req {
    pub(crate) fn json(&self) -> Result<Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        serde_json::from_slice(&self.body)
            .map(strict::camel_keys)
            .map_err(|e| wire::malformed_json(&self.path, &self.body, &e))
    }

    pub(crate) fn query_pairs(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_str(&self.query).unwrap_or_default()
    }

    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    pub(crate) fn form(&self) -> Vec<(String, String)> {
        let mut pairs = self.query_pairs();
        // Google's token endpoint takes the grant as a form or as JSON; google-cloud-auth sends
        // the refresh_token grant as JSON (user_account.rs), other clients as a form.
        match serde_json::from_slice::<serde_json::Map<String, Value>>(&self.body) {
            Ok(object) => pairs.extend(
                object.into_iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))),
            ),
            Err(_) => pairs.extend(
                serde_urlencoded::from_bytes::<Vec<(String, String)>>(&self.body).unwrap_or_default(),
            ),
        }
        pairs
    }

    pub(crate) fn bearer(&self) -> Option<String> {
        let value = self.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
    }
}

/// The paths of Google's APIs (as opposed to OAuth, metadata and control routes).
pub(crate) fn is_api_path(path: &str) -> bool {
    ["/v1/", "/v2/", "/v3/", "/storage/v1/"].iter().any(|p| path.starts_with(p))
}

/// The kind of a resource below a project by the segments after the API version
/// (`projects/P/secrets/S` → `Secret`).
pub(crate) fn service_kind(s: &[&str]) -> Option<Kind> {
    Some(match s {
        ["projects", _, "secrets", _] => Kind::Secret,
        ["projects", _, "serviceAccounts", _] => Kind::ServiceAccount,
        ["projects", _, "locations", _, "keyRings", _] => Kind::KeyRing,
        ["projects", _, "locations", _, "keyRings", _, "cryptoKeys", _] => Kind::CryptoKey,
        ["projects", _, "locations", _, "services", _] => Kind::RunService,
        _ => return None,
    })
}

pub(crate) enum Routed {
    Json(u16, Value),
    Raw(Response<Body>),
}

pub(crate) fn ok(v: Value) -> Result<Routed, ApiError> {
    Ok(Routed::Json(200, v))
}

pub(crate) type Handler<'a> = Box<dyn FnOnce(&Caller) -> Result<Routed, ApiError> + 'a>;

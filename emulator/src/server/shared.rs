//! What every handler shares ([`Shared`]): the store, the faults, Cloud Asset's index and cache,
//! the request log and the quotas, and how the store is persisted. The state types of the
//! services it holds ([`Faults`], [`AssetIndex`], [`Cache`], [`Quotas`], [`Meter`]) are defined
//! here, below the services that act on them, so that no circle runs through it (issue 20).

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::http::{Limits, Log, LogEntry, Req, is_api_path, lock};
use super::wire::ApiError;
use crate::state::{Data, Kind, Store};

/// Everything the handlers share.
pub struct Shared {
    pub store: Mutex<Store>,
    /// What `POST /_emulator/reset` goes back to.
    pub initial: Data,
    pub state_path: Option<PathBuf>,
    pub no_auth: bool,
    pub faults: Mutex<Faults>,
    /// Cloud Asset Inventory's index: its lag, and whether the API is enabled.
    pub asset: Mutex<AssetIndex>,
    /// The resources the search pages through, built once per state of the resources.
    pub asset_cache: Mutex<Cache>,
    pub log: Mutex<Log>,
    /// Google's rate quotas, when enforced (issue 22).
    pub quota: Mutex<Meter>,
    pub limits: Limits,
    /// `http://127.0.0.1:PORT`, known once bound.
    pub url: String,
}

impl Shared {
    /// Persists the store to the state file, atomically (write a temporary file, then rename),
    /// while the caller still holds the store's lock, so files are written in the order of changes.
    pub fn persist(&self, store: &Store) -> Result<(), ApiError> {
        let Some(path) = &self.state_path else { return Ok(()) };
        write_atomically(path, &store.data)
            .map_err(|e| ApiError::internal(format!("cannot write the state file: {e}")))
    }
}

pub fn write_atomically(path: &std::path::Path, data: &Data) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(data).expect("the state serialises");
    text.push('\n');
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    crate::write_private(&tmp, text.as_bytes())?;
    std::fs::rename(&tmp, path)
}

/// Logs a request. Bounded: at most `limits.log_entries` entries, and a body only when it is at
/// most `limits.log_body_bytes`, of an API call (token routes carry refresh tokens, assertions and
/// client secrets, which the log never keeps, design §4.7; nor query strings of tokeninfo), and of a
/// caller the emulator authenticated (or any caller under `--no-auth`): an unauthenticated
/// stranger's bytes are not kept.
pub(crate) fn log(shared: &Shared, req: &Req, status: u16, principal: Option<String>) {
    let api = is_api_path(&req.path);
    let trusted = principal.is_some() || shared.no_auth;
    let keep = api && trusted && req.body.len() <= shared.limits.log_body_bytes;
    let body = if keep { serde_json::from_slice(&req.body).ok() } else { None };
    let body_bytes = (!keep && api && !req.body.is_empty()).then_some(req.body.len());
    let query = if api { req.query.clone() } else { String::new() };
    let entry = LogEntry {
        time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        method: req.method.to_string(),
        path: req.path.clone(),
        query,
        status,
        principal,
        user_project: req
            .headers
            .get("x-goog-user-project")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body_bytes,
        kept: if body.is_some() { req.body.len() } else { 0 },
        body,
    };
    let size = entry.kept_bytes();
    lock(&shared.log).push(entry, size, &shared.limits);
}

/// Faults the emulator can inject into API calls (`/v1`, `/v2`, `/v3`), set by flags or by
/// `POST /_emulator/faults`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Faults {
    /// Added to every call a real Google call would cross: the APIs, and the OAuth token,
    /// tokeninfo and metadata routes (not the emulator's own control routes).
    pub latency_ms: u64,
    /// Probability (0–1) that a `setIamPolicy` answers 409 ABORTED without writing.
    pub conflict_rate: f64,
    /// The next N `setIamPolicy` calls answer 409 ABORTED without writing.
    pub conflict_next: u32,
    /// Probability that an API call answers `error_status` (429 or 503) with `Retry-After`.
    pub error_rate: f64,
    /// The next N API calls answer `error_status`.
    pub error_next: u32,
    /// Let this many calls through before `error_next` starts counting (a failure after the
    /// first page, say), with no test racing the client.
    pub error_skip: u32,
    /// When set, `error_next`, `error_skip` and `error_rate` apply only to calls whose path
    /// contains this (`:searchAllIamPolicies`); the others are answered as usual.
    pub error_path: Option<String>,
    /// 429 or 503 (default 503).
    pub error_status: u16,
    /// `Retry-After` seconds on injected 429/503 (default 1).
    pub retry_after_seconds: Option<u64>,
    /// Probability that an API call's connection is dropped without an answer.
    pub drop_rate: f64,
    /// The next N API calls are dropped without an answer.
    pub drop_next: u32,
}

/// How the index behaves: how far it lags, and whether the API is enabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssetIndex {
    /// The search sees the policies as they were this many seconds ago on the emulator's clock.
    pub lag_seconds: u64,
    /// When false, every search answers 403 SERVICE_DISABLED, as a project where the Cloud Asset
    /// API is not enabled does.
    pub api_enabled: bool,
}

impl Default for AssetIndex {
    fn default() -> AssetIndex {
        AssetIndex { lag_seconds: 0, api_enabled: true }
    }
}

impl AssetIndex {
    /// At most 35 days: the furthest back Cloud Asset Inventory keeps history ("between the
    /// current time and the current time minus 35 days", `assets.list.readTime`).
    pub fn check(&self) -> Result<(), String> {
        if self.lag_seconds > 35 * 86_400 {
            return Err(format!("`lagSeconds` must be at most 3024000 (35 days), not {}", self.lag_seconds));
        }
        Ok(())
    }
}

/// One resource with a policy, as the index knows it.
#[derive(Debug)]
pub struct Entry {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// The policy key (`projects/ID`, `projects/_/buckets/B`, …).
    pub(crate) key: String,
    /// Ancestry, nearest first (the resource itself included).
    pub(crate) chain: Vec<String>,
    pub(crate) project_number: Option<String>,
}

/// Every resource the emulator serves, as the index names them, sorted by name: built once per
/// state of the resources (they change only on reset; policies are read per page), so that a
/// search of 12,000 resources costs each page a walk over this list, not a rebuild of it.
#[derive(Debug, Default)]
pub struct Cache {
    pub(crate) built: Option<(u64, std::sync::Arc<Vec<Entry>>)>,
}

/// The quotas the emulator enforces; 0 is "not enforced" (the default for each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Quotas {
    /// `setIamPolicy` calls a minute per quota project per service (Resource Manager's
    /// published default is 600; Secret Manager's write quota is also 600).
    pub writes_per_minute: u32,
    /// IAM policy writes a second per bucket (Cloud Storage's limit is 1).
    pub bucket_updates_per_second: u32,
    /// `searchAllIamPolicies` calls a minute per quota project (Cloud Asset's default is 400).
    pub searches_per_minute: u32,
}

impl Quotas {
    /// The largest quota a flag or the control route may set: far above any of Google's, and
    /// small enough that a window's log stays bounded.
    pub const MAX: u32 = 1_000_000;

    pub fn check(&self) -> Result<(), String> {
        for (name, v) in [
            ("writesPerMinute", self.writes_per_minute),
            ("bucketUpdatesPerSecond", self.bucket_updates_per_second),
            ("searchesPerMinute", self.searches_per_minute),
        ] {
            if v > Quotas::MAX {
                return Err(format!("`{name}` must be at most {} (0 turns it off), not {v}", Quotas::MAX));
            }
        }
        Ok(())
    }

    pub fn enforced(&self) -> bool {
        self.writes_per_minute > 0 || self.bucket_updates_per_second > 0 || self.searches_per_minute > 0
    }
}

/// The calls admitted in each window: one log of times per (quota, key), the oldest first.
#[derive(Debug, Default)]
pub struct Meter {
    pub quotas: Quotas,
    pub(crate) windows: HashMap<(Metric, String), VecDeque<DateTime<Utc>>>,
    /// Calls refused over quota, per metric, since the quotas were last set.
    pub(crate) refused: HashMap<Metric, u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Metric {
    Writes,
    BucketUpdates,
    Searches,
}

impl Metric {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Metric::Writes => "writes",
            Metric::BucketUpdates => "bucketUpdates",
            Metric::Searches => "searches",
        }
    }
}

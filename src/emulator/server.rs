//! HTTP: the routes of Cloud Resource Manager v1/v2/v3, the token endpoints, the metadata server's
//! token route, IAM Credentials `generateAccessToken`, and the control routes under `/_emulator/`.
//!
//! Paths carry Google's `:verb` suffixes (`/v1/projects/p:getIamPolicy`), which no router matches
//! mid-segment, so requests are dispatched by hand on (method, path). Handlers return values or an
//! [`ApiError`]; `wire` renders both.

// Errors are the cold path of a local test server; their size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, Response, header};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::auth;
use super::state::{Caller, Data, Kind, Project, Store, StoreError, Token};
use super::wire::{self, ApiError, Surface};
use crate::policy::Policy;

/// Faults the emulator can inject into API calls (`/v1`, `/v2`, `/v3`), set by flags or by
/// `POST /_emulator/faults`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Faults {
    /// Added to every API call.
    pub latency_ms: u64,
    /// Probability (0–1) that a `setIamPolicy` answers 409 ABORTED without writing.
    pub conflict_rate: f64,
    /// The next N `setIamPolicy` calls answer 409 ABORTED without writing.
    pub conflict_next: u32,
    /// Probability that an API call answers `error_status` (429 or 503) with `Retry-After`.
    pub error_rate: f64,
    /// The next N API calls answer `error_status`.
    pub error_next: u32,
    /// 429 or 503 (default 503).
    pub error_status: u16,
    /// `Retry-After` seconds on injected 429/503 (default 1).
    pub retry_after_seconds: Option<u64>,
    /// Probability that an API call's connection is dropped without an answer.
    pub drop_rate: f64,
    /// The next N API calls are dropped without an answer.
    pub drop_next: u32,
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
}

const LOG_LIMIT: usize = 10_000;

/// Everything the handlers share.
pub struct Shared {
    pub store: Mutex<Store>,
    /// What `POST /_emulator/reset` goes back to.
    pub initial: Data,
    pub state_path: Option<PathBuf>,
    pub no_auth: bool,
    pub faults: Mutex<Faults>,
    pub log: Mutex<VecDeque<LogEntry>>,
    /// `http://127.0.0.1:PORT`, known once bound.
    pub url: String,
}

/// Returned to hyper to make it close the connection without an answer.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves the data as consistent as before it (every write is
    // one assignment), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
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
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// A parsed request.
struct Req {
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Req {
    fn json(&self) -> Result<Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::invalid(format!("Invalid JSON payload received. {e}")))
    }

    fn query_pairs(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_str(&self.query).unwrap_or_default()
    }

    fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    fn form(&self) -> Vec<(String, String)> {
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

    fn bearer(&self) -> Option<String> {
        let value = self.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
    }
}

/// The entry point for every request.
pub async fn handle(
    shared: Arc<Shared>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Dropped> {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(Body::new(body), 32 * 1024 * 1024).await {
        Ok(b) => b.to_vec(),
        Err(_) => return Ok(ApiError::invalid("The request body could not be read.").response(Surface::V1)),
    };
    let req = Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts.headers,
        body,
    };
    if req.path.starts_with("/_emulator/") || req.path == "/_emulator" {
        return Ok(control(&shared, &req));
    }
    let is_api = ["/v1/", "/v2/", "/v3/"].iter().any(|p| req.path.starts_with(p));
    let surface = if req.path.starts_with("/v3/") { Surface::V3 } else { Surface::V1 };
    if is_api {
        let faults = lock(&shared.faults).clone();
        if faults.latency_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(faults.latency_ms)).await;
        }
        if take_fault(&shared, |f| &mut f.drop_next, faults.drop_rate) {
            log(&shared, &req, 0, None);
            return Err(Dropped);
        }
        if take_fault(&shared, |f| &mut f.error_next, faults.error_rate) {
            let retry = faults.retry_after_seconds.unwrap_or(1);
            let e = if faults.error_status == 429 {
                ApiError::rate_limited(retry)
            } else {
                ApiError::unavailable(retry)
            };
            log(&shared, &req, e.code, None);
            return Ok(e.response(surface));
        }
    }
    let (principal, result) = route(&shared, &req);
    let response = match result {
        Ok(Routed::Json(code, body)) => wire::json_response(code, &body),
        Ok(Routed::Raw(r)) => r,
        Err(e) => e.response(surface),
    };
    log(&shared, &req, response.status().as_u16(), principal);
    Ok(response)
}

/// Consumes one "next N" fault or rolls the dice for a rate.
fn take_fault(shared: &Shared, counter: impl Fn(&mut Faults) -> &mut u32, rate: f64) -> bool {
    let mut f = lock(&shared.faults);
    let n = counter(&mut f);
    if *n > 0 {
        *n -= 1;
        return true;
    }
    rate > 0.0 && rand::random::<f64>() < rate
}

fn log(shared: &Shared, req: &Req, status: u16, principal: Option<String>) {
    // Bodies of API calls only: token routes carry refresh tokens, assertions and client secrets,
    // which the log never keeps (SPEC §4.7), and neither does it keep query strings of tokeninfo.
    let api = ["/v1/", "/v2/", "/v3/"].iter().any(|p| req.path.starts_with(p));
    let body = if api { serde_json::from_slice(&req.body).ok() } else { None };
    let query = if api { req.query.clone() } else { String::new() };
    let entry = LogEntry {
        time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        method: req.method.to_string(),
        path: req.path.clone(),
        query,
        status,
        principal,
        body,
    };
    let mut log = lock(&shared.log);
    if log.len() >= LOG_LIMIT {
        log.pop_front();
    }
    log.push_back(entry);
}

enum Routed {
    Json(u16, Value),
    Raw(Response<Body>),
}

fn ok(v: Value) -> Result<Routed, ApiError> {
    Ok(Routed::Json(200, v))
}

/// Percent-decodes one path segment.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const VERBS: [&str; 4] = ["getIamPolicy", "setIamPolicy", "testIamPermissions", "getAncestry"];

/// Splits `/v1/projects/p:getIamPolicy` into (["v1", "projects", "p"], Some("getIamPolicy")).
fn split_path(path: &str) -> (Vec<String>, Option<String>) {
    let mut segments: Vec<String> = path.trim_start_matches('/').split('/').map(decode).collect();
    let mut verb = None;
    if let Some(last) = segments.last_mut()
        && let Some((head, v)) = last.rsplit_once(':')
        && (VERBS.contains(&v) || v == "search" || v == "generateAccessToken")
    {
        verb = Some(v.to_string());
        *last = head.to_string();
    }
    (segments, verb)
}

/// Dispatches a request; returns the caller (for the log) and the result.
fn route(shared: &Shared, req: &Req) -> (Option<String>, Result<Routed, ApiError>) {
    let (segments, verb) = split_path(&req.path);
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let m = &req.method;
    // Routes without a bearer token.
    match (m.as_str(), s.as_slice()) {
        ("POST", ["token"]) | ("POST", ["oauth2", "v4", "token"]) => {
            return (None, token_endpoint(shared, req));
        }
        ("GET" | "POST", ["tokeninfo"]) | ("GET" | "POST", ["oauth2", "v1" | "v3", "tokeninfo"]) => {
            return (None, tokeninfo(shared, req));
        }
        ("GET", ["computeMetadata", "v1", rest @ ..]) => return (None, metadata(shared, req, rest)),
        ("GET", [""]) if req.headers.contains_key("metadata-flavor") => {
            return (None, Ok(Routed::Raw(metadata_text(""))));
        }
        _ => {}
    }
    let api = matches!(s.first(), Some(&("v1" | "v2" | "v3")));
    if !api {
        return (None, Ok(Routed::Raw(wire::html_404(&req.path))));
    }
    let caller = match caller(shared, req) {
        Ok(c) => c,
        Err(e) => return (None, Err(e)),
    };
    let who = match &caller {
        Caller::Principal(p) => Some(p.clone()),
        Caller::Anyone => None,
    };
    let int = wire::wants_int_enums(&req.query);
    let v = verb.as_deref();
    let result = match (m.as_str(), s.as_slice(), v) {
        ("POST", ["v1", "projects", "-", "serviceAccounts", email], Some("generateAccessToken")) => {
            generate_access_token(shared, &caller, email, req)
        }
        ("POST", ["v1", "projects", id], Some(verb)) => {
            iam(shared, &caller, Kind::Project, id, verb, req, int)
        }
        ("POST", ["v1", "organizations", id], Some(verb)) => {
            iam(shared, &caller, Kind::Organization, id, verb, req, int)
        }
        ("POST", ["v2", "folders", id], Some(verb)) => iam(shared, &caller, Kind::Folder, id, verb, req, int),
        ("POST", ["v3", coll, id], Some(verb)) if Kind::from_collection(coll).is_some() => {
            iam(shared, &caller, Kind::from_collection(coll).expect("checked"), id, verb, req, int)
        }
        ("GET", ["v1", "projects", id], None) => get_project(shared, &caller, id, false, int),
        ("GET", ["v3", "projects", id], None) => get_project(shared, &caller, id, true, int),
        ("GET", ["v1", "projects"], None) => list_projects_v1(shared, &caller, req),
        ("GET", ["v3", "projects"], None) => list_projects_v3(shared, &caller, req, int),
        ("GET", ["v3", "projects"], Some("search")) => search_projects_v3(shared, &caller, req, int),
        ("GET", ["v2", "folders", id], None) => get_folder(shared, &caller, id, false, int),
        ("GET", ["v3", "folders", id], None) => get_folder(shared, &caller, id, true, int),
        ("GET", ["v2", "folders"], None) => list_folders(shared, &caller, req, false, int),
        ("GET", ["v3", "folders"], None) => list_folders(shared, &caller, req, true, int),
        ("GET", ["v1", "organizations", id], None) => get_organization(shared, &caller, id, false, int),
        ("GET", ["v3", "organizations", id], None) => get_organization(shared, &caller, id, true, int),
        ("POST", ["v1", "organizations"], Some("search")) => {
            search_organizations(shared, &caller, false, int)
        }
        ("GET", ["v3", "organizations"], Some("search")) => search_organizations(shared, &caller, true, int),
        _ => Ok(Routed::Raw(wire::html_404(&req.path))),
    };
    (who, result)
}

/// The caller of an API request: 401 without a bearer token or with one the emulator does not
/// know (unless it runs with `--no-auth`).
fn caller(shared: &Shared, req: &Req) -> Result<Caller, ApiError> {
    if shared.no_auth {
        return Ok(Caller::Anyone);
    }
    let token = req.bearer().ok_or_else(ApiError::missing_credentials)?;
    let store = lock(&shared.store);
    auth::principal_of(&store, &token, Utc::now())
        .map(Caller::Principal)
        .map_err(|_| ApiError::invalid_credentials())
}

fn surface_of(req: &Req) -> Surface {
    if req.path.starts_with("/v3/") { Surface::V3 } else { Surface::V1 }
}

/// The JSON of a policy as Google sends it: version, etag, bindings, then the rest.
fn policy_json(p: &Policy, int: bool) -> Value {
    let mut m = Map::new();
    if let Some(v) = p.version {
        m.insert("version".into(), json!(v));
    }
    if let Some(e) = &p.etag {
        m.insert("etag".into(), json!(e));
    }
    if !p.bindings.is_empty() {
        m.insert("bindings".into(), serde_json::to_value(&p.bindings).expect("bindings serialise"));
    }
    for (k, v) in &p.extra {
        m.insert(k.clone(), v.clone());
    }
    let mut v = Value::Object(m);
    wire::policy_enums(&mut v, int);
    v
}

/// `getIamPolicy`, `setIamPolicy`, `testIamPermissions`, `getAncestry`.
fn iam(
    shared: &Shared,
    caller: &Caller,
    kind: Kind,
    id: &str,
    verb: &str,
    req: &Req,
    int: bool,
) -> Result<Routed, ApiError> {
    let surface = surface_of(req);
    let body = req.json()?;
    let wall = Utc::now();
    let se = |e: StoreError| ApiError::from_store(e, surface);
    match verb {
        "getIamPolicy" => {
            let requested = body.pointer("/options/requestedPolicyVersion").and_then(as_i64).unwrap_or(0);
            let store = lock(&shared.store);
            let now = store.now(wall);
            let p = store.get_policy(caller, kind, id, requested, now).map_err(se)?;
            ok(policy_json(&p, int))
        }
        "setIamPolicy" => {
            let policy_value = body.get("policy").cloned().unwrap_or(json!({}));
            let incoming = parse_policy(policy_value)?;
            let mask = body.get("updateMask").and_then(Value::as_str).map(str::to_string);
            let mut store = lock(&shared.store);
            let now = store.now(wall);
            // An injected conflict answers like a real one, after the permission check.
            store.authorize(caller, kind, id, "setIamPolicy", now).map_err(se)?;
            let conflict_rate = lock(&shared.faults).conflict_rate;
            if take_fault(shared, |f| &mut f.conflict_next, conflict_rate) {
                return Err(ApiError::aborted());
            }
            let p = store.set_policy(caller, kind, id, incoming, mask.as_deref(), now).map_err(se)?;
            shared.persist(&store)?;
            ok(policy_json(&p, int))
        }
        "testIamPermissions" => {
            let permissions: Vec<String> = body
                .get("permissions")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            let store = lock(&shared.store);
            let now = store.now(wall);
            let held = store.test_permissions(caller, kind, id, &permissions, now).map_err(se)?;
            ok(if held.is_empty() { json!({}) } else { json!({ "permissions": held }) })
        }
        "getAncestry" if kind == Kind::Project && surface == Surface::V1 => {
            let store = lock(&shared.store);
            let now = store.now(wall);
            let found = store.authorize(caller, kind, id, "get", now).map_err(se)?;
            let ancestors: Vec<Value> = store
                .ancestry(&found.key)
                .iter()
                .filter_map(|k| k.split_once('/'))
                .map(|(c, i)| json!({"resourceId": {"type": c.trim_end_matches('s'), "id": i}}))
                .collect();
            ok(json!({ "ancestor": ancestors }))
        }
        _ => Ok(Routed::Raw(wire::html_404(&req.path))),
    }
}

/// Numbers arrive as JSON numbers or, from some clients, as strings.
fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// A policy from a request body: Google's JSON, with `version` as a number and `logType` as a
/// name or a number.
fn parse_policy(mut v: Value) -> Result<Policy, ApiError> {
    if let Some(version) = v.get("version").and_then(as_i64) {
        v["version"] = json!(version);
    }
    if let Some(configs) = v.get_mut("auditConfigs").and_then(Value::as_array_mut) {
        for c in configs {
            for l in c.get_mut("auditLogConfigs").and_then(Value::as_array_mut).into_iter().flatten() {
                if let Some(n) = l.get("logType").and_then(Value::as_i64) {
                    l["logType"] = json!(
                        ["LOG_TYPE_UNSPECIFIED", "ADMIN_READ", "DATA_WRITE", "DATA_READ"]
                            .get(n as usize)
                            .copied()
                            .unwrap_or("LOG_TYPE_UNSPECIFIED")
                    );
                }
            }
        }
    }
    serde_json::from_value(v).map_err(|e| ApiError::invalid(format!("Invalid JSON payload received. {e}")))
}

fn fake_etag(v: &Value) -> String {
    let digest = Sha256::digest(v.to_string().as_bytes());
    format!("W/\"{}\"", hex::encode(&digest[..8]))
}

fn project_json(p: &Project, v3: bool, int: bool) -> Value {
    let created = p.create_time.clone().unwrap_or_else(|| "2021-01-01T00:00:00.000Z".into());
    if v3 {
        let mut m = json!({
            "name": format!("projects/{}", p.project_number),
            "parent": p.parent,
            "projectId": p.project_id,
            "state": wire::state_enum(p.state(), int),
            "displayName": p.display_name(),
            "createTime": created,
            "updateTime": created,
        });
        if p.parent.is_empty() {
            m.as_object_mut().expect("object").remove("parent");
        }
        m["etag"] = json!(fake_etag(&m));
        if !p.labels.is_empty() {
            m["labels"] = json!(p.labels);
        }
        m
    } else {
        let mut m = json!({
            "projectNumber": p.project_number,
            "projectId": p.project_id,
            "lifecycleState": p.state(),
            "name": p.display_name(),
            "createTime": created,
        });
        if !p.labels.is_empty() {
            m["labels"] = json!(p.labels);
        }
        if let Some((c, id)) = p.parent.split_once('/') {
            m["parent"] = json!({"type": c.trim_end_matches('s'), "id": id});
        }
        m
    }
}

fn get_project(shared: &Shared, caller: &Caller, id: &str, v3: bool, int: bool) -> Result<Routed, ApiError> {
    let surface = if v3 { Surface::V3 } else { Surface::V1 };
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    store.authorize(caller, Kind::Project, id, "get", now).map_err(|e| ApiError::from_store(e, surface))?;
    let p = store.project(id).expect("authorized projects exist");
    ok(project_json(p, v3, int))
}

/// Pages `items` with an offset token.
fn page(items: Vec<Value>, req: &Req, key: &str, default_size: usize) -> Result<Routed, ApiError> {
    let size = req
        .query_param("pageSize")
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default_size);
    let start = match req.query_param("pageToken").filter(|t| !t.is_empty()) {
        Some(t) => t
            .strip_prefix("emu-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| ApiError::invalid("Invalid page token."))?,
        None => 0,
    };
    let end = (start + size).min(items.len());
    let mut out = Map::new();
    let chunk: Vec<Value> = items.get(start..end).map(<[Value]>::to_vec).unwrap_or_default();
    if !chunk.is_empty() {
        out.insert(key.into(), Value::Array(chunk));
    }
    if end < items.len() {
        out.insert("nextPageToken".into(), json!(format!("emu-{end}")));
    }
    ok(Value::Object(out))
}

/// One term of a v1 `filter` or v3 `query`: `field:value` or `field=value`, `*` as a wildcard at
/// the end, case-insensitive.
fn term_matches(value: &str, pattern: &str) -> bool {
    let (v, p) = (value.to_ascii_lowercase(), pattern.trim_matches('"').to_ascii_lowercase());
    match p.strip_suffix('*') {
        Some(prefix) => v.starts_with(prefix),
        None => v == p,
    }
}

fn project_field(p: &Project, field: &str) -> Option<String> {
    let (pc, pid) = p.parent.split_once('/').unwrap_or(("", ""));
    Some(match field {
        "id" | "projectid" | "project_id" => p.project_id.clone(),
        "name" | "displayname" | "display_name" => p.display_name().to_string(),
        "projectnumber" | "number" => p.project_number.clone(),
        "lifecyclestate" | "state" => p.state().to_string(),
        "parent" => p.parent.clone(),
        "parent.id" => pid.to_string(),
        "parent.type" => pc.trim_end_matches('s').to_string(),
        f => return f.strip_prefix("labels.").and_then(|l| p.labels.get(l).cloned()),
    })
}

/// A filter or query: terms joined by spaces or `AND` (every one must hold).
fn project_matches(p: &Project, query: &str) -> Result<bool, ApiError> {
    // gcloud wraps the user's filter in parentheses after its own `lifecycleState:ACTIVE AND`.
    let query = query.replace(['(', ')'], " ");
    for term in query.split_whitespace().filter(|t| !t.eq_ignore_ascii_case("AND")) {
        let (field, value) = term
            .split_once(':')
            .or_else(|| term.split_once('='))
            .ok_or_else(|| ApiError::invalid(format!("Invalid filter or query term: {term}")))?;
        let Some(actual) = project_field(p, &field.to_ascii_lowercase()) else { return Ok(false) };
        if !term_matches(&actual, value) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn visible_projects<'a>(store: &'a Store, caller: &Caller, now: DateTime<Utc>) -> Vec<&'a Project> {
    store
        .data
        .projects
        .iter()
        .filter(|p| {
            store.has_permission(
                caller,
                &format!("projects/{}", p.project_id),
                "resourcemanager.projects.get",
                now,
            )
        })
        .collect()
}

/// v1 `projects.list?filter=…` (gcloud sends `filter=lifecycleState:ACTIVE&pageSize=500`).
fn list_projects_v1(shared: &Shared, caller: &Caller, req: &Req) -> Result<Routed, ApiError> {
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    let filter = req.query_param("filter").unwrap_or_default();
    let mut items = Vec::new();
    for p in visible_projects(&store, caller, now) {
        if project_matches(p, &filter)? {
            items.push(project_json(p, false, false));
        }
    }
    page(items, req, "projects", 500)
}

/// v3 `projects.list?parent=…`: the direct children of a folder or organization.
fn list_projects_v3(shared: &Shared, caller: &Caller, req: &Req, int: bool) -> Result<Routed, ApiError> {
    let parent = req
        .query_param("parent")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::invalid("Request contains an invalid argument."))?;
    let show_deleted = req.query_param("showDeleted").is_some_and(|v| v == "true");
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    authorize_parent(&store, caller, &parent, "resourcemanager.projects.list", now)?;
    let items = store
        .data
        .projects
        .iter()
        .filter(|p| p.parent == parent && (show_deleted || p.state() == "ACTIVE"))
        .map(|p| project_json(p, true, int))
        .collect();
    page(items, req, "projects", 500)
}

/// v3 `projects:search?query=…` over every project the caller may see.
fn search_projects_v3(shared: &Shared, caller: &Caller, req: &Req, int: bool) -> Result<Routed, ApiError> {
    let query = req.query_param("query").unwrap_or_default();
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    let mut items = Vec::new();
    for p in visible_projects(&store, caller, now) {
        if project_matches(p, &query)? {
            items.push(project_json(p, true, int));
        }
    }
    page(items, req, "projects", 500)
}

fn authorize_parent(
    store: &Store,
    caller: &Caller,
    parent: &str,
    permission: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let denied = || {
        ApiError::from_store(
            StoreError::Denied { permission: permission.into(), resource: parent.into() },
            Surface::V3,
        )
    };
    let (c, id) =
        parent.split_once('/').ok_or_else(|| ApiError::invalid(format!("Invalid parent: {parent}")))?;
    let kind = Kind::from_collection(c)
        .filter(|k| *k != Kind::Project)
        .ok_or_else(|| ApiError::invalid(format!("Invalid parent: {parent}")))?;
    let found = store.find(kind, id).ok_or_else(denied)?;
    if store.has_permission(caller, &found.key, permission, now) { Ok(()) } else { Err(denied()) }
}

fn folder_json(f: &super::state::Folder, v3: bool, int: bool) -> Value {
    let created = f.create_time.clone().unwrap_or_else(|| "2020-01-01T00:00:00.000Z".into());
    if v3 {
        let mut m = json!({
            "name": f.name, "parent": f.parent, "displayName": f.display_name,
            "state": wire::state_enum("ACTIVE", int), "createTime": created, "updateTime": created,
        });
        m["etag"] = json!(fake_etag(&m));
        m
    } else {
        json!({"name": f.name, "parent": f.parent, "displayName": f.display_name, "lifecycleState": "ACTIVE", "createTime": created})
    }
}

fn get_folder(shared: &Shared, caller: &Caller, id: &str, v3: bool, int: bool) -> Result<Routed, ApiError> {
    let surface = if v3 { Surface::V3 } else { Surface::V1 };
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    store.authorize(caller, Kind::Folder, id, "get", now).map_err(|e| ApiError::from_store(e, surface))?;
    ok(folder_json(store.folder(id).expect("authorized folders exist"), v3, int))
}

fn list_folders(
    shared: &Shared,
    caller: &Caller,
    req: &Req,
    v3: bool,
    int: bool,
) -> Result<Routed, ApiError> {
    let parent = req
        .query_param("parent")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::invalid("Request contains an invalid argument."))?;
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    authorize_parent(&store, caller, &parent, "resourcemanager.folders.list", now).map_err(|mut e| {
        if !v3 {
            e = ApiError::from_store(
                StoreError::Denied { permission: String::new(), resource: String::new() },
                Surface::V1,
            );
        }
        e
    })?;
    let items =
        store.data.folders.iter().filter(|f| f.parent == parent).map(|f| folder_json(f, v3, int)).collect();
    page(items, req, "folders", 100)
}

fn organization_json(o: &super::state::Organization, v3: bool, int: bool) -> Value {
    let created = o.create_time.clone().unwrap_or_else(|| "2019-01-01T00:00:00.000Z".into());
    let customer = o.directory_customer_id.clone().unwrap_or_else(|| "C00000000".into());
    if v3 {
        let mut m = json!({
            "name": o.name, "displayName": o.display_name, "directoryCustomerId": customer,
            "state": wire::state_enum("ACTIVE", int), "createTime": created, "updateTime": created,
        });
        m["etag"] = json!(fake_etag(&m));
        m
    } else {
        json!({
            "name": o.name, "displayName": o.display_name, "owner": {"directoryCustomerId": customer},
            "creationTime": created, "lifecycleState": "ACTIVE",
        })
    }
}

fn get_organization(
    shared: &Shared,
    caller: &Caller,
    id: &str,
    v3: bool,
    int: bool,
) -> Result<Routed, ApiError> {
    let surface = if v3 { Surface::V3 } else { Surface::V1 };
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    store
        .authorize(caller, Kind::Organization, id, "get", now)
        .map_err(|e| ApiError::from_store(e, surface))?;
    ok(organization_json(store.organization(id).expect("authorized organizations exist"), v3, int))
}

fn search_organizations(shared: &Shared, caller: &Caller, v3: bool, int: bool) -> Result<Routed, ApiError> {
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    let items: Vec<Value> = store
        .data
        .organizations
        .iter()
        .filter(|o| store.has_permission(caller, &o.name, "resourcemanager.organizations.get", now))
        .map(|o| organization_json(o, v3, int))
        .collect();
    ok(if items.is_empty() { json!({}) } else { json!({ "organizations": items }) })
}

// ---- tokens ---------------------------------------------------------------------------------------

/// OAuth 2.0 errors as Google's token endpoint sends them.
fn oauth_error(code: u16, error: &str, description: &str) -> Result<Routed, ApiError> {
    Ok(Routed::Json(code, json!({"error": error, "error_description": description})))
}

/// `POST /token`: the refresh_token grant (gcloud's `authorized_user` files) and the JWT-bearer
/// grant (service-account keys of clients that do not self-sign).
fn token_endpoint(shared: &Shared, req: &Req) -> Result<Routed, ApiError> {
    let form = req.form();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let wall = Utc::now();
    let mut store = lock(&shared.store);
    let principal = match get("grant_type").as_deref() {
        Some("refresh_token") => {
            let rt = get("refresh_token").unwrap_or_default();
            match store.data.refresh_tokens.iter().find(|t| t.token == rt) {
                Some(t) => t.principal.clone(),
                None => return oauth_error(400, "invalid_grant", "Token has been expired or revoked."),
            }
        }
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
            let assertion = get("assertion").unwrap_or_default();
            match auth::verify_jwt(&store, &assertion, wall) {
                Ok(email) => format!("serviceAccount:{email}"),
                Err(_) => return oauth_error(400, "invalid_grant", "Invalid JWT Signature."),
            }
        }
        Some(other) => {
            return oauth_error(400, "unsupported_grant_type", &format!("Invalid grant_type: {other}"));
        }
        None => return oauth_error(400, "unsupported_grant_type", "Invalid grant_type: "),
    };
    let token = store.issue_token(&principal, wall, 3599);
    shared.persist(&store)?;
    ok(json!({
        "access_token": token.token,
        "expires_in": 3599,
        "scope": get("scope").unwrap_or_else(|| "https://www.googleapis.com/auth/cloud-platform".into()),
        "token_type": "Bearer",
    }))
}

/// `GET /oauth2/v3/tokeninfo?access_token=T` (also `/tokeninfo`, v1, and POST with a form): what
/// Google says about a token; jit reads `email` to know who the caller is.
fn tokeninfo(shared: &Shared, req: &Req) -> Result<Routed, ApiError> {
    let form = req.form();
    let token =
        form.iter().find(|(k, _)| k == "access_token").map(|(_, v)| v.clone()).or_else(|| req.bearer());
    let wall = Utc::now();
    let store = lock(&shared.store);
    let Some(token) = token else {
        return oauth_error(
            400,
            "invalid_request",
            "Either access_token, id_token, or token_handle required",
        );
    };
    let (principal, expires) = match store.token_principal(&token, wall) {
        Some(t) => (t.principal.clone(), t.expire_time),
        None => match auth::verify_jwt(&store, &token, wall) {
            Ok(email) => (format!("serviceAccount:{email}"), None),
            Err(_) => return oauth_error(400, "invalid_token", "Invalid Value"),
        },
    };
    let exp = expires.unwrap_or(wall + chrono::Duration::seconds(3599));
    let email = auth::email_of(&principal).to_string();
    // A stable 21-digit subject id, like Google's.
    let sub = format!(
        "1{:020}",
        u64::from_be_bytes(Sha256::digest(email.as_bytes())[..8].try_into().expect("8 bytes"))
    );
    ok(json!({
        "azp": "32555940559.apps.googleusercontent.com",
        "aud": "32555940559.apps.googleusercontent.com",
        "sub": sub,
        "scope": "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email openid",
        "exp": exp.timestamp().to_string(),
        "expires_in": (exp - wall).num_seconds().max(0).to_string(),
        "email": email,
        "email_verified": "true",
        "access_type": "offline",
    }))
}

fn metadata_text(text: &str) -> Response<Body> {
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/text")
        .header("Metadata-Flavor", "Google")
        .body(Body::from(text.to_string()))
        .expect("a valid response")
}

/// The metadata server's routes that credential libraries call, for `GCE_METADATA_HOST`.
fn metadata(shared: &Shared, req: &Req, rest: &[&str]) -> Result<Routed, ApiError> {
    let flavor = req.headers.get("metadata-flavor").and_then(|v| v.to_str().ok()) == Some("Google");
    if !flavor {
        let r = Response::builder()
            .status(403)
            .header(header::CONTENT_TYPE, "text/html; charset=UTF-8")
            .body(Body::from("Missing required header: Metadata-Flavor\n"))
            .expect("a valid response");
        return Ok(Routed::Raw(r));
    }
    let mut store = lock(&shared.store);
    let Some(principal) = store.data.metadata_principal.clone() else {
        return Ok(Routed::Raw(wire::html_404(&req.path)));
    };
    let email = auth::email_of(&principal).to_string();
    match rest {
        ["instance", "service-accounts", "default" | "", "token"] => {
            let token = store.issue_token(&principal, Utc::now(), 3599);
            shared.persist(&store)?;
            Ok(Routed::Raw(json_text(
                json!({"access_token": token.token, "expires_in": 3599, "token_type": "Bearer"}),
            )))
        }
        ["instance", "service-accounts", "default", "email"] => Ok(Routed::Raw(metadata_text(&email))),
        ["instance", "service-accounts", "default", ""] | ["instance", "service-accounts", "default"] => {
            Ok(Routed::Raw(json_text(json!({
                "aliases": ["default"], "email": email, "scopes": ["https://www.googleapis.com/auth/cloud-platform"]
            }))))
        }
        ["universe", "universe-domain"] | ["universe", "universe_domain"] => {
            Ok(Routed::Raw(metadata_text("googleapis.com")))
        }
        ["project", "project-id"] => {
            let project = email
                .split_once('@')
                .and_then(|(_, d)| d.strip_suffix(".iam.gserviceaccount.com"))
                .unwrap_or("jit-demo-prod");
            Ok(Routed::Raw(metadata_text(project)))
        }
        _ => Ok(Routed::Raw(wire::html_404(&req.path))),
    }
}

fn json_text(v: Value) -> Response<Body> {
    let mut r = wire::json_response(200, &v);
    r.headers_mut().insert("Metadata-Flavor", axum::http::HeaderValue::from_static("Google"));
    r
}

/// IAM Credentials `projects/-/serviceAccounts/EMAIL:generateAccessToken`: impersonation. The caller
/// needs `iam.serviceAccounts.getAccessToken` (roles/iam.serviceAccountTokenCreator) on the account's
/// project or above.
fn generate_access_token(
    shared: &Shared,
    caller: &Caller,
    email: &str,
    req: &Req,
) -> Result<Routed, ApiError> {
    let body = req.json()?;
    let lifetime = body
        .get("lifetime")
        .and_then(Value::as_str)
        .and_then(|s| s.trim_end_matches('s').parse::<f64>().ok())
        .map(|s| s as i64)
        .unwrap_or(3600);
    if !(1..=43200).contains(&lifetime) {
        return Err(ApiError::invalid(format!("Invalid lifetime: {lifetime}s")));
    }
    let wall = Utc::now();
    let mut store = lock(&shared.store);
    let now = store.now(wall);
    let permission = "iam.serviceAccounts.getAccessToken";
    let denied = || {
        ApiError::new(
            403,
            "PERMISSION_DENIED",
            "forbidden",
            format!("Permission '{permission}' denied on resource (or it may not exist)."),
        )
    };
    let project = email
        .split_once('@')
        .and_then(|(_, d)| d.strip_suffix(".iam.gserviceaccount.com"))
        .ok_or_else(denied)?;
    let known = store.data.service_accounts.iter().any(|sa| sa.email == email);
    let key = store.find(Kind::Project, project).map(|f| f.key);
    let allowed = known && key.is_some_and(|k| store.has_permission(caller, &k, permission, now));
    if !allowed {
        return Err(denied());
    }
    let token = store.issue_token(&format!("serviceAccount:{email}"), wall, lifetime);
    shared.persist(&store)?;
    let expire = token.expire_time.expect("issued tokens expire").to_rfc3339_opts(SecondsFormat::Secs, true);
    ok(json!({"accessToken": token.token, "expireTime": expire}))
}

// ---- control routes -------------------------------------------------------------------------------

fn control(shared: &Shared, req: &Req) -> Response<Body> {
    match control_inner(shared, req) {
        Ok(v) => wire::json_response(200, &v),
        Err(e) => e.response(Surface::V3),
    }
}

fn control_inner(shared: &Shared, req: &Req) -> Result<Value, ApiError> {
    let path = req.path.trim_start_matches("/_emulator").trim_matches('/');
    let body = || req.json();
    let wall = Utc::now();
    match (req.method.as_str(), path) {
        ("GET", "clock") => {
            let store = lock(&shared.store);
            Ok(clock_json(&store, wall))
        }
        ("POST" | "PUT", "clock") => {
            let b = body()?;
            let time = b
                .get("time")
                .and_then(Value::as_str)
                .and_then(crate::condition::parse_timestamp)
                .ok_or_else(|| ApiError::invalid("clock: `time` must be an RFC 3339 timestamp"))?;
            let frozen = b.get("frozen").and_then(Value::as_bool).unwrap_or(false);
            let mut store = lock(&shared.store);
            store.data.clock = Some(clock_at(time, frozen, wall));
            shared.persist(&store)?;
            Ok(clock_json(&store, wall))
        }
        ("POST", "clock/advance" | "clock:advance") => {
            let b = body()?;
            let seconds = b
                .get("seconds")
                .and_then(as_i64)
                .ok_or_else(|| ApiError::invalid("clock: `seconds` must be a number"))?;
            let mut store = lock(&shared.store);
            let mut clock = store.data.clock.clone().unwrap_or_default();
            clock.offset_seconds += seconds;
            if let Some(f) = clock.frozen_at.as_mut() {
                *f += chrono::Duration::seconds(seconds);
            }
            store.data.clock = Some(clock);
            shared.persist(&store)?;
            Ok(clock_json(&store, wall))
        }
        ("POST", "reset") => {
            let mut store = lock(&shared.store);
            *store = Store::new(shared.initial.clone());
            shared.persist(&store)?;
            lock(&shared.log).clear();
            Ok(json!({}))
        }
        ("GET", "requests") => {
            Ok(serde_json::to_value(lock(&shared.log).iter().collect::<Vec<_>>()).expect("log serialises"))
        }
        ("DELETE", "requests") => {
            lock(&shared.log).clear();
            Ok(json!({}))
        }
        ("GET", "faults") => {
            Ok(serde_json::to_value(lock(&shared.faults).clone()).expect("faults serialise"))
        }
        ("POST" | "PUT", "faults") => {
            let f: Faults =
                serde_json::from_value(body()?).map_err(|e| ApiError::invalid(format!("faults: {e}")))?;
            *lock(&shared.faults) = f.clone();
            Ok(serde_json::to_value(f).expect("faults serialise"))
        }
        ("POST", "tokens") => {
            let t: Token =
                serde_json::from_value(body()?).map_err(|e| ApiError::invalid(format!("tokens: {e}")))?;
            let mut store = lock(&shared.store);
            store.add_token(t.clone());
            shared.persist(&store)?;
            Ok(serde_json::to_value(t).expect("tokens serialise"))
        }
        ("GET", "state") => Ok(serde_json::to_value(&lock(&shared.store).data).expect("state serialises")),
        ("GET", "policy") => {
            let resource = req.query_param("resource").unwrap_or_default();
            let store = lock(&shared.store);
            let (c, id) = resource.split_once('/').ok_or_else(|| {
                ApiError::invalid("policy: `resource` is projects/ID, folders/N or organizations/N")
            })?;
            let kind =
                Kind::from_collection(c).ok_or_else(|| ApiError::invalid("policy: unknown collection"))?;
            let found = store.find(kind, id).ok_or_else(|| {
                ApiError::new(404, "NOT_FOUND", "notFound", format!("no resource {resource}"))
            })?;
            Ok(policy_json(&store.stored(&found.key), false))
        }
        ("POST", "keys") => {
            let b = body()?;
            let email = b
                .get("serviceAccount")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::invalid("keys: `serviceAccount` (an email) is required"))?
                .to_string();
            let (file, key) = auth::new_key(&email, &format!("{}/token", shared.url))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let mut store = lock(&shared.store);
            store.add_service_account_key(&email, key);
            shared.persist(&store)?;
            Ok(file)
        }
        _ => Err(ApiError::new(
            404,
            "NOT_FOUND",
            "notFound",
            format!("no control route {} {}", req.method, req.path),
        )),
    }
}

/// A clock that shows `time` now (ticking from there, or frozen).
pub fn clock_at(time: DateTime<Utc>, frozen: bool, wall: DateTime<Utc>) -> super::state::Clock {
    if frozen {
        super::state::Clock { offset_seconds: 0, frozen_at: Some(time) }
    } else {
        super::state::Clock { offset_seconds: (time - wall).num_seconds(), frozen_at: None }
    }
}

fn clock_json(store: &Store, wall: DateTime<Utc>) -> Value {
    let clock = store.data.clock.clone().unwrap_or_default();
    json!({
        "time": store.now(wall).to_rfc3339_opts(SecondsFormat::Secs, true),
        "frozen": clock.frozen_at.is_some(),
        "offsetSeconds": clock.offset_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_segments_and_verb() {
        assert_eq!(
            split_path("/v1/projects/p-1:getIamPolicy"),
            (vec!["v1".into(), "projects".into(), "p-1".into()], Some("getIamPolicy".into()))
        );
        assert_eq!(
            split_path("/v1/projects/example.com:proj"),
            (vec!["v1".into(), "projects".into(), "example.com:proj".into()], None)
        );
        assert_eq!(split_path("/v3/projects:search").1.as_deref(), Some("search"));
        assert_eq!(split_path("/v1/projects/a%40b").0[2], "a@b");
    }

    #[test]
    fn project_queries() {
        let p = Project {
            project_id: "jit-demo-prod".into(),
            project_number: "1".into(),
            parent: "folders/2".into(),
            labels: [("env".to_string(), "prod".to_string())].into(),
            ..Project::default()
        };
        assert!(project_matches(&p, "lifecycleState:ACTIVE").unwrap());
        assert!(project_matches(&p, "parent:folders/2 id:jit-*").unwrap());
        assert!(project_matches(&p, "parent.type:folder parent.id:2").unwrap());
        assert!(project_matches(&p, "labels.env:prod").unwrap());
        assert!(
            project_matches(&p, "lifecycleState:ACTIVE AND (parent.id=2 AND parent.type=folder)").unwrap()
        );
        assert!(project_matches(&p, "lifecycleState:ACTIVE AND (name:\"jit*\")").unwrap());
        assert!(!project_matches(&p, "state:DELETE_REQUESTED").unwrap());
        assert!(project_matches(&p, "garbage").is_err());
    }
}

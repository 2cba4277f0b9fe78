//! HTTP: one module per service surface, each handler returning a value or an [`ApiError`] that
//! `wire` alone renders as Google's error JSON.
//!
//! - [`resource_manager`]: Cloud Resource Manager v1/v2/v3 (policies, projects, folders,
//!   organizations);
//! - [`oauth`]: the OAuth token and tokeninfo routes, and the metadata server's;
//! - [`iam_credentials`]: `generateAccessToken` (impersonation);
//! - [`iam_roles`]: IAM's `roles.get`, `roles.list`, `queryGrantableRoles` and custom roles;
//! - [`storage`]: Cloud Storage's JSON API for a bucket's metadata and allow policy;
//! - [`logging`]: Cloud Logging v2's `entries.list` over the Admin Activity audit entries of
//!   every `setIamPolicy`;
//! - [`services`]: the allow policies of Secret Manager secrets, IAM service accounts, Cloud KMS
//!   key rings and keys, and Cloud Run services;
//! - [`asset`]: Cloud Asset Inventory's `searchAllIamPolicies`, over an index that may lag;
//! - [`control`]: the emulator's own routes under `/_emulator/`;
//! - [`faults`]: injected latency, conflicts, errors and dropped connections;
//! - [`quota`]: Google's rate quotas, off by default.
//!
//! Paths carry Google's `:verb` suffixes (`/v1/projects/p:getIamPolicy`), which no router matches
//! mid-segment, so requests are dispatched by hand on (method, path).
//!
//! The server bounds what one client can take (issue 8, defect 13): connections at once, the time
//! to send a request's headers, idle keep-alive connections, request bodies, and the request log.

// Errors are the cold path of a local test server; their size does not matter.
#![allow(clippy::result_large_err)]

pub mod asset;
pub mod control;
pub mod faults;
pub mod http;
pub mod iam_credentials;
pub mod iam_roles;
pub mod logging;
pub mod oauth;
pub mod pam;
pub mod quota;
pub mod resource_manager;
pub mod services;
pub mod shared;
pub mod storage;
pub mod strict;
pub mod wire;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, header};
use chrono::Utc;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

use crate::auth;
use crate::state::{Caller, Kind};
pub use http::{Dropped, Limits, Log, LogEntry, MAX_BODY_BYTES};
pub(crate) use http::{Handler, Req, Routed, is_api_path, lock, ok, service_kind};
use resource_manager as rm;
pub(crate) use shared::log;
pub use shared::{Faults, Shared, write_atomically};
use wire::{ApiError, Surface};

/// What a connection is doing, for the idle timeout.
struct Activity {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
}

impl Activity {
    fn touch(&self) {
        *lock(&self.last) = Instant::now();
    }

    /// Resolves once the connection has had no request in flight for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let since = lock(&self.last).elapsed();
            if self.in_flight.load(Ordering::SeqCst) == 0 && since >= idle {
                return;
            }
            tokio::time::sleep(idle.saturating_sub(since).max(Duration::from_millis(10))).await;
        }
    }
}

/// Accepts connections until `stopped`, at most `limits.max_connections` at once: the permit is
/// taken before `accept`, so excess clients wait in the kernel's queue without costing the
/// emulator a file descriptor, and a flood of half-open connections cannot exhaust them.
pub async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let permits = Arc::new(tokio::sync::Semaphore::new(shared.limits.max_connections.max(1)));
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stopped.changed() => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped.changed() => break,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors or the like: wait a little, then go on.
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(stream, shared.clone(), stopped.clone(), permit));
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    shared: Arc<Shared>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    _permit: tokio::sync::OwnedSemaphorePermit,
) {
    let limits = shared.limits.clone();
    let activity = Arc::new(Activity { in_flight: AtomicUsize::new(0), last: Mutex::new(Instant::now()) });
    let seen = activity.clone();
    let service = hyper::service::service_fn(move |req| {
        let shared = shared.clone();
        let seen = seen.clone();
        seen.in_flight.fetch_add(1, Ordering::SeqCst);
        async move {
            let answer = handle(shared, req).await;
            seen.touch();
            seen.in_flight.fetch_sub(1, Ordering::SeqCst);
            answer
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.changed() => {}
        _ = activity.idle_for(limits.idle_timeout) => {}
    }
    // Stop or idle: finish a request in flight (if any), then close.
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(limits.body_read_timeout, conn).await;
}

/// Reads a request's body within the limits: `Err(response)` when it is too large (413) or does
/// not arrive in time (the connection is dropped).
async fn read_body(
    limits: &Limits,
    headers: &HeaderMap,
    body: hyper::body::Incoming,
) -> Result<Vec<u8>, Result<Response<Body>, Dropped>> {
    let too_large = || Err(Ok(ApiError::payload_too_large(limits.max_body_bytes).response(Surface::V3)));
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        return too_large();
    }
    match tokio::time::timeout(limits.body_read_timeout, Limited::new(body, limits.max_body_bytes).collect())
        .await
    {
        Err(_) => Err(Err(Dropped)),
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => too_large(),
        Ok(Err(_)) => Err(Ok(ApiError::invalid("The request body could not be read.").response(Surface::V1))),
    }
}

/// The entry point for every request: its answer, dated by the emulator's clock.
pub async fn handle(
    shared: Arc<Shared>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Dropped> {
    let mut response = answer(&shared, request).await?;
    date(&shared, &mut response);
    Ok(response)
}

/// Dates an answer by the emulator's clock, as Google's front ends date theirs by Google's: an
/// origin server with a clock "MUST send a Date header field" (RFC 9110 §6.6.1), an IMF-fixdate
/// in GMT (§5.6.7). hyper would otherwise date it by the machine's clock; it leaves a `date` the
/// answer already has. jit reads it to judge expiry by Google's clock (issue 17 item 3), so the
/// control routes' clock (`/_emulator/clock`) moves it too.
fn date(shared: &Shared, response: &mut Response<Body>) {
    let now = lock(&shared.store).now(Utc::now());
    let text = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(value) = header::HeaderValue::from_str(&text) {
        response.headers_mut().insert(header::DATE, value);
    }
}

async fn answer(
    shared: &Arc<Shared>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Dropped> {
    let shared = Arc::clone(shared);
    let (parts, body) = request.into_parts();
    let body = match read_body(&shared.limits, &parts.headers, body).await {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    let req = Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts.headers,
        body,
    };
    // Privileged Access Manager's grants and operations move on with the clock (`state::pam`).
    pam::tick(&shared);
    if req.path.starts_with("/_emulator/") || req.path == "/_emulator" {
        return Ok(control::control(&shared, &req));
    }
    let is_api = is_api_path(&req.path);
    let surface = if req.path.starts_with("/v3/") {
        Surface::V3
    } else if req.path.starts_with("/storage/") {
        Surface::Storage
    } else {
        Surface::V1
    };
    if is_api {
        if let Some(answer) = faults::inject(&shared, &req, surface).await {
            return answer;
        }
    } else {
        // The OAuth token and tokeninfo routes and the metadata server are round trips a real
        // Google call crosses too, so the injected latency applies to them (issue 9, "Speed");
        // errors and dropped connections stay on the API routes.
        faults::delay(&shared).await;
    }
    let (principal, result) = route(&shared, &req);
    let response = match result {
        Ok(Routed::Json(code, body)) => {
            let body = match req.query_param("fields").filter(|_| (200..300).contains(&code)) {
                Some(fields) => wire::partial(body, &fields),
                None => body,
            };
            wire::json_response(code, &body)
        }
        Ok(Routed::Raw(r)) => r,
        Err(e) => e.response(surface),
    };
    log(&shared, &req, response.status().as_u16(), principal);
    Ok(response)
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
        && (VERBS.contains(&v)
            || ["search", "generateAccessToken", "queryGrantableRoles", "searchAllIamPolicies", "list"]
                .contains(&v)
            || pam::VERBS.contains(&v))
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
            return (None, oauth::token_endpoint(shared, req));
        }
        ("GET" | "POST", ["tokeninfo"]) | ("GET" | "POST", ["oauth2", "v1" | "v3", "tokeninfo"]) => {
            return (None, oauth::tokeninfo(shared, req));
        }
        ("GET", ["computeMetadata", "v1", rest @ ..]) => return (None, oauth::metadata(shared, req, rest)),
        ("GET", [""]) if req.headers.contains_key("metadata-flavor") => {
            return (None, Ok(Routed::Raw(oauth::metadata_text(""))));
        }
        _ => {}
    }
    let api = matches!(s.first(), Some(&("v1" | "v2" | "v3"))) || s.starts_with(&["storage", "v1"]);
    if !api {
        return (None, Ok(Routed::Raw(wire::html_404(&req.path))));
    }
    let int = wire::wants_int_enums(&req.query);
    let v = verb.as_deref();
    // Find the handler first: a path no API serves is a 404 whatever the credentials.
    let handler: Option<Handler> = match (m.as_str(), s.as_slice(), v) {
        ("POST", ["v1", "projects", "-", "serviceAccounts", email], Some("generateAccessToken")) => {
            Some(Box::new(move |c: &Caller| iam_credentials::generate_access_token(shared, c, email, req)))
        }
        // Cloud Storage's JSON API.
        ("GET", ["storage", "v1", "b", b], None) => {
            Some(Box::new(move |c: &Caller| storage::get_bucket(shared, c, b)))
        }
        ("GET", ["storage", "v1", "b", b, "iam"], None) => {
            Some(Box::new(move |c: &Caller| storage::get_iam(shared, c, b, req)))
        }
        ("PUT", ["storage", "v1", "b", b, "iam"], None) => {
            Some(Box::new(move |c: &Caller| storage::set_iam(shared, c, b, req)))
        }
        ("GET", ["storage", "v1", "b", b, "iam", "testPermissions"], None) => {
            Some(Box::new(move |c: &Caller| storage::test_iam(shared, c, b, req)))
        }
        // Secret Manager, IAM, Cloud KMS and Cloud Run (v1; Run's v2 too): `getIamPolicy` is a GET
        // but for service accounts (each REST reference's HTTP rule); the others are POSTs.
        (method, [version, rest @ ..], Some(verb))
            if service_kind(rest).is_some()
                && matches!((*version, service_kind(rest)), ("v1", _) | ("v2", Some(Kind::RunService)))
                && match (verb, service_kind(rest)) {
                    ("getIamPolicy", Some(Kind::ServiceAccount)) => method == "POST",
                    ("getIamPolicy", _) => method == "GET",
                    ("setIamPolicy" | "testIamPermissions", _) => method == "POST",
                    _ => false,
                } =>
        {
            let kind = service_kind(rest).expect("checked");
            let name = rest.join("/");
            Some(Box::new(move |c: &Caller| services::iam(shared, c, kind, &name, verb, req)))
        }
        ("GET", ["v1", rest @ ..], None) if service_kind(rest) == Some(Kind::Secret) => {
            let name = rest.join("/");
            Some(Box::new(move |c: &Caller| services::get_secret(shared, c, &name)))
        }
        ("GET", ["v1", rest @ ..], None) if service_kind(rest) == Some(Kind::ServiceAccount) => {
            let name = rest.join("/");
            Some(Box::new(move |c: &Caller| services::get_service_account(shared, c, &name)))
        }
        // Cloud Asset Inventory: `GET v1/{+scope}:searchAllIamPolicies`, scope
        // `projects/ID|NUMBER`, `folders/N` or `organizations/N` (discovery document).
        (
            "GET",
            ["v1", coll @ ("projects" | "folders" | "organizations"), id],
            Some("searchAllIamPolicies"),
        ) => Some(Box::new(move |c: &Caller| asset::search(shared, c, coll, id, req))),
        ("POST", ["v1", "projects", id], Some(verb)) => {
            Some(Box::new(move |c: &Caller| rm::iam(shared, c, Kind::Project, id, verb, req, int)))
        }
        ("POST", ["v1", "organizations", id], Some(verb)) => {
            Some(Box::new(move |c: &Caller| rm::iam(shared, c, Kind::Organization, id, verb, req, int)))
        }
        ("POST", ["v2", "folders", id], Some(verb)) => {
            Some(Box::new(move |c: &Caller| rm::iam(shared, c, Kind::Folder, id, verb, req, int)))
        }
        ("POST", ["v3", coll, id], Some(verb)) if Kind::from_collection(coll).is_some() => {
            Some(Box::new(move |c: &Caller| {
                rm::iam(shared, c, Kind::from_collection(coll).expect("checked"), id, verb, req, int)
            }))
        }
        ("GET", ["v1", "projects", id], None) => {
            Some(Box::new(move |c: &Caller| rm::get_project(shared, c, id, false, int)))
        }
        ("GET", ["v3", "projects", id], None) => {
            Some(Box::new(move |c: &Caller| rm::get_project(shared, c, id, true, int)))
        }
        ("GET", ["v1", "projects"], None) => {
            Some(Box::new(move |c: &Caller| rm::list_projects_v1(shared, c, req)))
        }
        ("GET", ["v3", "projects"], None) => {
            Some(Box::new(move |c: &Caller| rm::list_projects_v3(shared, c, req, int)))
        }
        ("GET", ["v3", "projects"], Some("search")) => {
            Some(Box::new(move |c: &Caller| rm::search_projects_v3(shared, c, req, int)))
        }
        ("GET", ["v2", "folders", id], None) => {
            Some(Box::new(move |c: &Caller| rm::get_folder(shared, c, id, false, int)))
        }
        ("GET", ["v3", "folders", id], None) => {
            Some(Box::new(move |c: &Caller| rm::get_folder(shared, c, id, true, int)))
        }
        ("GET", ["v2", "folders"], None) => {
            Some(Box::new(move |c: &Caller| rm::list_folders(shared, c, req, false, int)))
        }
        ("GET", ["v3", "folders"], None) => {
            Some(Box::new(move |c: &Caller| rm::list_folders(shared, c, req, true, int)))
        }
        ("GET", ["v1", "organizations", id], None) => {
            Some(Box::new(move |c: &Caller| rm::get_organization(shared, c, id, false, int)))
        }
        ("GET", ["v3", "organizations", id], None) => {
            Some(Box::new(move |c: &Caller| rm::get_organization(shared, c, id, true, int)))
        }
        ("POST", ["v1", "organizations"], Some("search")) => {
            Some(Box::new(move |c: &Caller| rm::search_organizations(shared, c, false, int)))
        }
        ("GET", ["v3", "organizations"], Some("search")) => {
            Some(Box::new(move |c: &Caller| rm::search_organizations(shared, c, true, int)))
        }
        // Cloud Logging v2 (logging): the audit entries of every setIamPolicy.
        ("POST", ["v2", "entries"], Some("list")) => {
            Some(Box::new(move |c: &Caller| logging::list_entries(shared, c, req)))
        }
        // IAM roles (iam_roles): predefined roles need only a valid token.
        ("GET", ["v1", "roles", id], None) => Some(Box::new(move |_: &Caller| iam_roles::get_predefined(id))),
        ("GET", ["v1", "roles"], None) => Some(Box::new(move |_: &Caller| iam_roles::list_predefined(req))),
        ("POST", ["v1", "roles"], Some("queryGrantableRoles")) => {
            Some(Box::new(move |_: &Caller| iam_roles::query_grantable(shared, req)))
        }
        ("GET", ["v1", coll @ ("projects" | "organizations"), id, "roles", role], None) => {
            let kind = Kind::from_collection(coll).expect("matched");
            Some(Box::new(move |c: &Caller| iam_roles::get_custom(shared, c, kind, id, role)))
        }
        ("GET", ["v1", coll @ ("projects" | "organizations"), id, "roles"], None) => {
            let kind = Kind::from_collection(coll).expect("matched");
            Some(Box::new(move |c: &Caller| iam_roles::list_custom(shared, c, kind, id, req)))
        }
        // Privileged Access Manager and Secret Manager's `versions:access` (pam).
        (method, path, verb) => pam::handler(shared, req, method, path, verb),
    };
    let Some(handler) = handler else { return (None, Ok(Routed::Raw(wire::html_404(&req.path)))) };
    let caller = match caller(shared, req) {
        Ok(c) => c,
        Err(e) => return (None, Err(e)),
    };
    let who = match &caller {
        Caller::Principal(p) => Some(p.clone()),
        Caller::Anyone => None,
    };
    // Unknown fields and query parameters are refused, as Google's front end does (issue 18).
    if let Err(e) = strict::check(req.method.as_str(), &req.query_pairs(), &req.body, &s, v) {
        return (who, Err(e));
    }
    if let Some(answer) = quota::over_quota(shared, req, &s, v) {
        return (who, Ok(Routed::Raw(answer)));
    }
    (who, handler(&caller))
}

/// The caller of an API request: 401 without a bearer token or with one the emulator does not
/// know (unless it runs with `--no-auth`).
pub(crate) fn caller(shared: &Shared, req: &Req) -> Result<Caller, ApiError> {
    if shared.no_auth {
        return Ok(Caller::Anyone);
    }
    // Each service's 401 names that service (issue 18 item 5); Storage's are its own.
    let host = wire::host_of_path(&req.path);
    let token = req
        .bearer()
        .ok_or_else(|| ApiError::missing_credentials().for_host(host, req.method.as_str(), &req.path))?;
    let store = lock(&shared.store);
    auth::principal_of(&store, &token, Utc::now())
        .map(Caller::Principal)
        .map_err(|_| ApiError::invalid_credentials().for_host(host, req.method.as_str(), &req.path))
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
        assert_eq!(
            split_path("/v1/roles:queryGrantableRoles"),
            (vec!["v1".into(), "roles".into()], Some("queryGrantableRoles".into()))
        );
        assert_eq!(split_path("/v1/roles/storage.objectViewer").0[2], "storage.objectViewer");
        assert_eq!(split_path("/v1/projects/a%40b").0[2], "a@b");
    }
}

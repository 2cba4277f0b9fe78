//! Privileged Access Manager v1 over HTTP (`privilegedaccessmanager.googleapis.com`, issue 21
//! item 6), and Secret Manager's `versions:access`. The paths are the discovery document's
//! `flatPath`s (gcloud's generated client,
//! `generated_clients/apis/privilegedaccessmanager/v1/privilegedaccessmanager_v1_client.py`), for
//! `projects`, `folders` and `organizations` alike:
//!
//! | method | path |
//! |---|---|
//! | GET | `v1/{scope}/locations/{l}:checkOnboardingStatus` |
//! | GET, POST | `v1/{scope}/locations/{l}/entitlements` (list, create `?entitlementId=`) |
//! | GET | `v1/{scope}/locations/{l}/entitlements:search?callerAccessType=` |
//! | GET, PATCH, DELETE | `v1/{scope}/locations/{l}/entitlements/{e}` (`?updateMask=`, `?force=`) |
//! | GET, POST | `v1/{scope}/locations/{l}/entitlements/{e}/grants` (list, create) |
//! | GET | `v1/{scope}/locations/{l}/entitlements/{e}/grants:search?callerRelationship=` |
//! | GET | `v1/{scope}/locations/{l}/entitlements/{e}/grants/{g}` |
//! | POST | `v1/{scope}/locations/{l}/entitlements/{e}/grants/{g}:approve` / `:deny` / `:revoke` |
//! | GET, DELETE | `v1/{scope}/locations/{l}/operations/{o}`; GET `…/operations` |
//!
//! The logic is `state::pam`'s; this module parses, pages and renders. PAM is a newer "One
//! Platform" API: its errors carry `code`, `message`, `status` and `details`, no `errors[]`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use serde_json::{Value, json};

use super::wire::ApiError;
use super::{Handler, Req, Routed, Shared, lock, ok};
use crate::state::pam::{self, Location, PamError};
use crate::state::{Caller, Kind, Store};

/// The `:verb`s of PAM's and Secret Manager's paths served here.
pub(crate) const VERBS: [&str; 5] = ["approve", "deny", "revoke", "checkOnboardingStatus", "access"];

/// Moves PAM's grants and operations on to the clock's time; called before every request.
pub(crate) fn tick(shared: &Shared) {
    let mut store = lock(&shared.store);
    let now = store.now(Utc::now());
    if pam::tick(&mut store, now) {
        let _ = shared.persist(&store);
    }
}

fn api_error(e: PamError) -> ApiError {
    let mut err = ApiError::new(e.code, e.status, "", e.message);
    err.errors_array = false;
    if let Some((permission, resource)) = e.denied {
        err.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "IAM_PERMISSION_DENIED",
            "domain": "iam.googleapis.com",
            "metadata": {"permission": permission, "resource": resource},
        }));
    }
    err
}

/// Google's default page for PAM's lists is not documented; 100 here, and at most 1000.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// A page of `items` under `field`, with `nextPageToken` when more follow. The token is the
/// offset, base64-encoded; one the emulator did not issue is a 400.
fn page(req: &Req, items: Vec<Value>, field: &str) -> Result<Routed, ApiError> {
    let size = match req.query_param("pageSize") {
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n < 0 => {
                return Err(one_platform(ApiError::invalid("`pageSize` must not be negative.")));
            }
            Ok(0) => DEFAULT_PAGE,
            Ok(n) => (n as usize).min(MAX_PAGE),
            Err(_) => {
                return Err(one_platform(ApiError::invalid(format!("Invalid value for `pageSize`: `{s}`."))));
            }
        },
        None => DEFAULT_PAGE,
    };
    let start = match req.query_param("pageToken").filter(|t| !t.is_empty()) {
        Some(t) => STANDARD
            .decode(&t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("pam:").and_then(|n| n.parse::<usize>().ok()))
            .filter(|n| *n <= items.len())
            .ok_or_else(|| one_platform(ApiError::invalid(format!("Invalid `pageToken`: `{t}`."))))?,
        None => 0,
    };
    let end = (start + size).min(items.len());
    let mut out = json!({});
    if end > start {
        out[field] = Value::Array(items[start..end].to_vec());
    }
    if end < items.len() {
        out["nextPageToken"] = json!(STANDARD.encode(format!("pam:{end}")));
    }
    ok(out)
}

fn one_platform(mut e: ApiError) -> ApiError {
    e.errors_array = false;
    e
}

/// `filter` and `orderBy` are accepted only empty: the emulator does not evaluate AIP-160
/// filters, and says so rather than answering as if it had.
fn no_filter(req: &Req) -> Result<(), ApiError> {
    for p in ["filter", "orderBy"] {
        if req.query_param(p).is_some_and(|f| !f.trim().is_empty()) {
            return Err(one_platform(ApiError::new(
                501,
                "UNIMPLEMENTED",
                "",
                format!("The emulator does not evaluate `{p}` on Privileged Access Manager lists."),
            )));
        }
    }
    Ok(())
}

fn loc(store: &Store, coll: &str, id: &str, l: &str, permission: &str) -> Result<Location, ApiError> {
    pam::location(store, &format!("{coll}/{id}"), l, permission).map_err(api_error)
}

/// The handler of a PAM or `versions:access` path, if it is one.
pub(crate) fn handler<'a>(
    shared: &'a Shared,
    req: &'a Req,
    method: &str,
    s: &'a [&'a str],
    verb: Option<&'a str>,
) -> Option<Handler<'a>> {
    let j = |from: &[&str]| from.join("/");
    Some(match (method, s, verb) {
        ("GET", ["v1", "projects", p, "secrets", secret, "versions", v], Some("access")) => {
            let (p, secret, v) = (p.to_string(), secret.to_string(), v.to_string());
            Box::new(move |c: &Caller| access_secret_version(shared, c, &p, &secret, &v))
        }
        (
            "GET",
            ["v1", coll @ ("projects" | "folders" | "organizations"), id, "locations", l],
            Some("checkOnboardingStatus"),
        ) => Box::new(move |c: &Caller| {
            let store = lock(&shared.store);
            let now = store.now(Utc::now());
            let loc = loc(&store, coll, id, l, "privilegedaccessmanager.locations.checkOnboardingStatus")?;
            ok(pam::check_onboarding(&store, c, &loc, now).map_err(api_error)?)
        }),
        (
            "GET",
            ["v1", coll @ ("projects" | "folders" | "organizations"), id, "locations", l, "entitlements"],
            None,
        ) => Box::new(move |c: &Caller| {
            no_filter(req)?;
            let store = lock(&shared.store);
            let now = store.now(Utc::now());
            let loc = loc(&store, coll, id, l, "privilegedaccessmanager.entitlements.list")?;
            let items = pam::list_entitlements(&store, c, &loc, now).map_err(api_error)?;
            page(req, items, "entitlements")
        }),
        (
            "GET",
            ["v1", coll @ ("projects" | "folders" | "organizations"), id, "locations", l, "entitlements"],
            Some("search"),
        ) => Box::new(move |c: &Caller| {
            no_filter(req)?;
            let store = lock(&shared.store);
            let loc = loc(&store, coll, id, l, "privilegedaccessmanager.entitlements.search")?;
            let access = req.query_param("callerAccessType").unwrap_or_default();
            let items = pam::search_entitlements(&store, c, &loc, &access).map_err(api_error)?;
            page(req, items, "entitlements")
        }),
        (
            "POST",
            ["v1", coll @ ("projects" | "folders" | "organizations"), id, "locations", l, "entitlements"],
            None,
        ) => Box::new(move |c: &Caller| {
            let body = req.json().map_err(one_platform)?;
            let mut store = lock(&shared.store);
            let now = store.now(Utc::now());
            let loc = loc(&store, coll, id, l, "privilegedaccessmanager.entitlements.create")?;
            let op = pam::create_entitlement(
                &mut store,
                c,
                &loc,
                req.query_param("entitlementId").as_deref(),
                body,
                now,
            )
            .map_err(api_error)?;
            shared.persist(&store)?;
            ok(op)
        }),
        (
            m @ ("GET" | "PATCH" | "DELETE"),
            ["v1", coll @ ("projects" | "folders" | "organizations"), id, "locations", l, "entitlements", _],
            None,
        ) => {
            let name = j(&s[1..]);
            let m = m.to_string();
            Box::new(move |c: &Caller| {
                let mut store = lock(&shared.store);
                let now = store.now(Utc::now());
                let permission = match m.as_str() {
                    "GET" => "privilegedaccessmanager.entitlements.get",
                    "PATCH" => "privilegedaccessmanager.entitlements.update",
                    _ => "privilegedaccessmanager.entitlements.delete",
                };
                let loc = loc(&store, coll, id, l, permission)?;
                let out = match m.as_str() {
                    "GET" => pam::get_entitlement(&store, c, &loc, &name, now),
                    "PATCH" => {
                        let body = req.json().map_err(one_platform)?;
                        let mask = req.query_param("updateMask");
                        pam::patch_entitlement(&mut store, c, &loc, &name, mask.as_deref(), body, now)
                    }
                    _ => {
                        let force = req.query_param("force").is_some_and(|f| f == "true");
                        pam::delete_entitlement(&mut store, c, &loc, &name, force, now)
                    }
                }
                .map_err(api_error)?;
                if m != "GET" {
                    shared.persist(&store)?;
                }
                ok(out)
            })
        }
        (
            "GET",
            ["v1", "projects" | "folders" | "organizations", _, "locations", l, "entitlements", _, "grants"],
            v @ (None | Some("search")),
        ) => {
            let entitlement = j(&s[1..7]);
            Box::new(move |c: &Caller| {
                no_filter(req)?;
                global(l)?;
                let store = lock(&shared.store);
                let now = store.now(Utc::now());
                let items = if v.is_some() {
                    let rel = req.query_param("callerRelationship").unwrap_or_default();
                    pam::search_grants(&store, c, &entitlement, &rel)
                } else {
                    pam::list_grants(&store, c, &entitlement, now)
                }
                .map_err(api_error)?;
                page(req, items, "grants")
            })
        }
        (
            "POST",
            ["v1", "projects" | "folders" | "organizations", _, "locations", l, "entitlements", _, "grants"],
            None,
        ) => {
            let entitlement = j(&s[1..7]);
            Box::new(move |c: &Caller| {
                global(l)?;
                let body = req.json().map_err(one_platform)?;
                let mut store = lock(&shared.store);
                let now = store.now(Utc::now());
                let g = pam::create_grant(&mut store, c, &entitlement, body, now).map_err(api_error)?;
                shared.persist(&store)?;
                ok(g)
            })
        }
        (
            "GET",
            [
                "v1",
                "projects" | "folders" | "organizations",
                _,
                "locations",
                l,
                "entitlements",
                _,
                "grants",
                _,
            ],
            None,
        ) => {
            let name = j(&s[1..]);
            Box::new(move |c: &Caller| {
                global(l)?;
                let store = lock(&shared.store);
                let now = store.now(Utc::now());
                ok(pam::get_grant(&store, c, &name, now).map_err(api_error)?)
            })
        }
        (
            "POST",
            [
                "v1",
                "projects" | "folders" | "organizations",
                _,
                "locations",
                l,
                "entitlements",
                _,
                "grants",
                _,
            ],
            Some(v @ ("approve" | "deny" | "revoke")),
        ) => {
            let name = j(&s[1..]);
            Box::new(move |c: &Caller| {
                global(l)?;
                let body = req.json().map_err(one_platform)?;
                let reason = body["reason"].as_str().unwrap_or_default().to_string();
                let mut store = lock(&shared.store);
                let now = store.now(Utc::now());
                let out = match v {
                    "revoke" => pam::revoke_grant(&mut store, c, &name, &reason, now),
                    _ => pam::decide(&mut store, c, &name, v == "approve", &reason, now),
                }
                .map_err(api_error)?;
                shared.persist(&store)?;
                ok(out)
            })
        }
        (
            "GET",
            ["v1", coll @ ("projects" | "folders" | "organizations"), id, "locations", l, "operations"],
            None,
        ) => Box::new(move |c: &Caller| {
            no_filter(req)?;
            let store = lock(&shared.store);
            let now = store.now(Utc::now());
            let loc = loc(&store, coll, id, l, "privilegedaccessmanager.operations.list")?;
            let items = pam::list_operations(&store, c, &loc, now).map_err(api_error)?;
            page(req, items, "operations")
        }),
        (
            m @ ("GET" | "DELETE"),
            ["v1", coll @ ("projects" | "folders" | "organizations"), id, "locations", l, "operations", _],
            None,
        ) => {
            let name = j(&s[1..]);
            let delete = m == "DELETE";
            Box::new(move |c: &Caller| {
                let mut store = lock(&shared.store);
                let now = store.now(Utc::now());
                let permission = if delete {
                    "privilegedaccessmanager.operations.delete"
                } else {
                    "privilegedaccessmanager.operations.get"
                };
                let loc = loc(&store, coll, id, l, permission)?;
                if delete {
                    pam::delete_operation(&mut store, c, &loc, &name, now).map_err(api_error)?;
                    shared.persist(&store)?;
                    ok(json!({}))
                } else {
                    ok(pam::get_operation(&store, c, &loc, &name, now).map_err(api_error)?)
                }
            })
        }
        _ => return None,
    })
}

fn global(l: &str) -> Result<(), ApiError> {
    if l == "global" {
        Ok(())
    } else {
        Err(api_error(PamError::invalid(format!(
            "Location `{l}` is not supported: Privileged Access Manager serves location `global`."
        ))))
    }
}

/// CRC-32C (Castagnoli), as Secret Manager's `dataCrc32c` carries it.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
        }
    }
    !crc
}

/// Secret Manager's `GET v1/projects/P/secrets/S/versions/V:access`
/// (<https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/access>):
/// the payload of version V (a number, or `latest`: the highest enabled one) with its CRC-32C,
/// for a caller with `secretmanager.versions.access` on the secret. A disabled or destroyed
/// version is a 400 FAILED_PRECONDITION, as Secret Manager answers.
fn access_secret_version(
    shared: &Shared,
    caller: &Caller,
    project: &str,
    secret: &str,
    version: &str,
) -> Result<Routed, ApiError> {
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    let name = format!("projects/{project}/secrets/{secret}");
    let permission = "secretmanager.versions.access";
    let shown = format!("projects/{project}/secrets/{secret}/versions/{version}");
    let denied = || {
        let mut e = ApiError::new(
            403,
            "PERMISSION_DENIED",
            "",
            format!("Permission '{permission}' denied for resource '{shown}' (or it may not exist)."),
        );
        e.errors_array = false;
        e.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "IAM_PERMISSION_DENIED",
            "domain": "secretmanager.googleapis.com",
            "metadata": {"permission": permission, "resource": shown},
        }));
        e
    };
    let found = store.find(Kind::Secret, &name).ok_or_else(denied)?;
    if !store.has_permission(caller, &found.key, permission, now) {
        return Err(denied());
    }
    let s = store.data.secrets.iter().find(|s| s.name == found.key).expect("found secrets exist");
    let number = store.project(project).map(|p| p.project_number.clone()).unwrap_or_default();
    let v = if version == "latest" {
        s.versions.iter().filter(|v| v.state() == "ENABLED").max_by_key(|v| v.version)
    } else {
        let n = version.parse::<u64>().map_err(|_| {
            one_platform(ApiError::invalid(format!(
                "Invalid secret version `{version}`: a number or `latest`."
            )))
        })?;
        s.versions.iter().find(|v| v.version == n)
    };
    let Some(v) = v else {
        let mut e = ApiError::new(
            404,
            "NOT_FOUND",
            "",
            format!("Secret Version [projects/{number}/secrets/{secret}/versions/{version}] not found."),
        );
        e.errors_array = false;
        return Err(e);
    };
    if v.state() != "ENABLED" {
        let mut e = ApiError::new(
            400,
            "FAILED_PRECONDITION",
            "",
            format!(
                "Secret Version [projects/{number}/secrets/{secret}/versions/{}] is in {} state.",
                v.version,
                v.state()
            ),
        );
        e.errors_array = false;
        return Err(e);
    }
    let data = STANDARD.decode(&v.data).unwrap_or_default();
    ok(json!({
        "name": format!("projects/{number}/secrets/{secret}/versions/{}", v.version),
        "payload": {"data": v.data, "dataCrc32c": crc32c(&data).to_string()},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_published_check_value() {
        // RFC 3720, appendix B.4: CRC-32C of "123456789" is 0xE3069283.
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }
}

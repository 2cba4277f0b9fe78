//! The allow policies of resources below a project whose services speak `google.iam.v1`'s
//! `getIamPolicy` / `setIamPolicy` / `testIamPermissions` themselves: Secret Manager secrets, IAM
//! service accounts, Cloud KMS key rings and crypto keys, Cloud Run services (issue 9). One
//! handler serves all: the services differ in their paths, in the HTTP method of `getIamPolicy`
//! (GET with `options.requestedPolicyVersion` in the query for Secret Manager, KMS and Run; POST
//! for IAM service accounts, whose gcloud still puts the version in the query), and in their
//! 403s (`wire::ApiError::from_service_store`). Routes as gcloud 528 calls them (issue 9's table)
//! and as each REST reference declares them.

use chrono::Utc;
use serde_json::{Value, json};

use super::faults::take_fault;
use super::resource_manager::{as_i64, parse_policy, policy_json};
use super::wire::ApiError;
use super::{Req, Routed, Shared, lock, ok};
use crate::state::{Caller, Kind, StoreError};

/// `getIamPolicy`, `setIamPolicy` or `testIamPermissions` on `name` (the full relative name as the
/// client sent it, e.g. `projects/p/secrets/s`).
pub(crate) fn iam(
    shared: &Shared,
    caller: &Caller,
    kind: Kind,
    name: &str,
    verb: &str,
    req: &Req,
) -> Result<Routed, ApiError> {
    let body = req.json()?;
    let shown = shown_name(shared, kind, name);
    let se = |e| ApiError::from_service_store(renamed(e, &shown), kind, &req.path);
    match verb {
        "getIamPolicy" => {
            // Either JSON spelling of the query parameter (issue 18: both are Google's).
            let in_query = req
                .query_param("options.requestedPolicyVersion")
                .or_else(|| req.query_param("options.requested_policy_version"));
            let requested = match in_query {
                Some(v) => as_i64(&json!(v)).ok_or_else(|| {
                    ApiError::invalid(format!(
                        "Invalid value at 'options.requested_policy_version' (TYPE_INT32), \"{v}\""
                    ))
                })?,
                None => body.pointer("/options/requestedPolicyVersion").and_then(as_i64).unwrap_or(0),
            };
            let store = lock(&shared.store);
            let now = store.now(Utc::now());
            let p = store.get_policy(caller, kind, name, requested, now).map_err(se)?;
            ok(policy_json(&p, false))
        }
        "setIamPolicy" => {
            let incoming = parse_policy(body.get("policy").cloned().unwrap_or(json!({})))?;
            let mask = body.get("updateMask").and_then(Value::as_str).map(str::to_string);
            let mut store = lock(&shared.store);
            let now = store.now(Utc::now());
            store.authorize(caller, kind, name, "setIamPolicy", now).map_err(se)?;
            let conflict_rate = lock(&shared.faults).conflict_rate;
            if take_fault(shared, |f| &mut f.conflict_next, conflict_rate) {
                return Err(ApiError::aborted());
            }
            let p = store.set_policy(caller, kind, name, incoming, mask.as_deref(), now).map_err(se)?;
            if kind == Kind::RunService && req.path.starts_with("/v2/") {
                // Run's v2 API (`google.cloud.run.v2.Services`) logs under its own method name
                // (<https://cloud.google.com/run/docs/audit-logging>: methods by API version).
                store.rename_last_method("google.cloud.run.v2.Services.SetIamPolicy");
            }
            shared.persist(&store)?;
            ok(policy_json(&p, false))
        }
        "testIamPermissions" => {
            let permissions: Vec<String> = body
                .get("permissions")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            let store = lock(&shared.store);
            let now = store.now(Utc::now());
            let held = store.test_permissions(caller, kind, name, &permissions, now).map_err(se)?;
            ok(if held.is_empty() { json!({}) } else { json!({ "permissions": held }) })
        }
        _ => Ok(Routed::Raw(super::wire::html_404(&req.path))),
    }
}

/// The name a service's 403 shows: Secret Manager names the project by number ("Permission
/// 'secretmanager.secrets.setIamPolicy' denied for resource 'projects/779844219229/secrets/…' (or it
/// may not exist).", GoogleCloudPlatform/java-docs-samples#6571); the others echo the name sent.
fn shown_name(shared: &Shared, kind: Kind, name: &str) -> String {
    if kind != Kind::Secret {
        return name.to_string();
    }
    let store = lock(&shared.store);
    match name.strip_prefix("projects/").and_then(|r| r.split_once('/')) {
        Some((p, rest)) => match store.project(p) {
            Some(project) => format!("projects/{}/{rest}", project.project_number),
            None => name.to_string(),
        },
        None => name.to_string(),
    }
}

fn renamed(e: StoreError, shown: &str) -> StoreError {
    match e {
        StoreError::Denied { permission, .. } => {
            StoreError::Denied { permission, resource: shown.to_string() }
        }
        other => other,
    }
}

/// `GET /v1/projects/P/secrets/S`: the secret, named by project number as Secret Manager names
/// it (<https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets#Secret>).
pub(crate) fn get_secret(shared: &Shared, caller: &Caller, name: &str) -> Result<Routed, ApiError> {
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    let found = store
        .authorize(caller, Kind::Secret, name, "get", now)
        .map_err(|e| ApiError::from_service_store(e, Kind::Secret, name))?;
    let (pid, rest) = found.key.trim_start_matches("projects/").split_once('/').expect("a canonical key");
    let number = store.project(pid).map(|p| p.project_number.clone()).unwrap_or_default();
    ok(json!({
        "name": format!("projects/{number}/{rest}"),
        "replication": {"automatic": {}},
        "createTime": "2021-06-01T08:00:00.000000Z",
        "etag": "\"1600000000000000\"",
    }))
}

/// `GET /v1/projects/P/serviceAccounts/EMAIL|ID`
/// (<https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts#ServiceAccount>).
pub(crate) fn get_service_account(shared: &Shared, caller: &Caller, name: &str) -> Result<Routed, ApiError> {
    let store = lock(&shared.store);
    let now = store.now(Utc::now());
    let found = store
        .authorize(caller, Kind::ServiceAccount, name, "get", now)
        .map_err(|e| ApiError::from_service_store(e, Kind::ServiceAccount, name))?;
    let email = found.key.rsplit_once('/').map(|(_, e)| e).unwrap_or_default();
    let sa = store.service_account(email).expect("authorized accounts exist");
    let id = sa.unique_id();
    ok(json!({
        "name": found.key,
        "projectId": sa.project_id(),
        "uniqueId": id,
        "email": sa.email,
        "etag": "MDEwMjE5MjA=",
        "oauth2ClientId": id,
    }))
}

//! Cloud Storage's JSON API, the parts that hold a bucket's allow policy:
//! `GET /storage/v1/b/{bucket}` (metadata, which gcloud reads for
//! `iamConfiguration.uniformBucketLevelAccess.enabled`), `GET`/`PUT /storage/v1/b/{bucket}/iam` and
//! `GET /storage/v1/b/{bucket}/iam/testPermissions`.
//!
//! Shapes from the discovery document (googleapis/google-api-go-client, storage/v1/storage-api.json):
//! `Policy` carries `kind: "storage#policy"`, `resourceId: "projects/_/buckets/B"`, `version`,
//! `etag` and `bindings` (with `condition`); `getIamPolicy` asks for a version with the query
//! parameter `optionsRequestedPolicyVersion`; `setIamPolicy` is a `PUT` whose body is the policy
//! itself. Errors carry `errors[]` with `domain: global` and no `status` ([`Surface::Storage`]).

use chrono::Utc;
use serde_json::{Value, json};

use super::faults::take_fault;
use super::resource_manager::{as_i64, parse_policy, policy_json};
use super::wire::{ApiError, Surface};
use super::{Req, Routed, Shared, lock, ok};
use crate::state::{Caller, Kind, Policy, Store, StoreError};

/// Storage's 404 for a bucket that does not exist: it answers it whoever asks (bucket names are
/// global; python-storage's `test_bpo_set_unset_preserves_acls` expects `NotFound` for an unknown
/// bucket, and `gcloud storage` reports "gs://B bucket does not exist" from it).
fn no_such_bucket() -> ApiError {
    ApiError::new(404, "NOT_FOUND", "notFound", "The specified bucket does not exist.")
}

/// A store error in Storage's words. Its 403 names the caller and the permission:
/// `alice@example.com does not have storage.buckets.getIamPolicy access to the Google Cloud
/// Storage bucket. Permission 'storage.buckets.getIamPolicy' denied on resource (or it may not
/// exist).` (the form gcloud and the client libraries show since 2022).
fn storage_error(e: StoreError, caller: &Caller) -> ApiError {
    match e {
        StoreError::Denied { permission, .. } => {
            let who = match caller {
                Caller::Principal(p) => p.split_once(':').map_or(p.as_str(), |(_, e)| e).to_string(),
                Caller::Anyone => "The caller".into(),
            };
            ApiError::new(
                403,
                "PERMISSION_DENIED",
                "forbidden",
                format!(
                    "{who} does not have {permission} access to the Google Cloud Storage bucket. \
                     Permission '{permission}' denied on resource (or it may not exist)."
                ),
            )
        }
        other => ApiError::from_store(other, Surface::Storage),
    }
}

/// `Policy` in Storage's shape: `kind` and `resourceId` first, then version, etag, bindings.
fn storage_policy(p: &Policy, bucket: &str) -> Value {
    let mut v = policy_json(p, false);
    let m = v.as_object_mut().expect("a policy is an object");
    m.remove("auditConfigs");
    let mut out = serde_json::Map::new();
    out.insert("kind".into(), json!("storage#policy"));
    out.insert("resourceId".into(), json!(format!("projects/_/buckets/{bucket}")));
    out.extend(std::mem::take(m));
    Value::Object(out)
}

fn existing(store: &Store, bucket: &str) -> Result<(), ApiError> {
    store.bucket(bucket).map(|_| ()).ok_or_else(no_such_bucket)
}

/// `GET /storage/v1/b/{bucket}/iam?optionsRequestedPolicyVersion=N`.
pub(crate) fn get_iam(shared: &Shared, caller: &Caller, bucket: &str, req: &Req) -> Result<Routed, ApiError> {
    let requested = req
        .query_param("optionsRequestedPolicyVersion")
        .map(|v| {
            as_i64(&json!(v)).ok_or_else(|| {
                ApiError::invalid(format!("Invalid value for optionsRequestedPolicyVersion: {v}"))
            })
        })
        .transpose()?
        .unwrap_or(0);
    let store = lock(&shared.store);
    existing(&store, bucket)?;
    let now = store.now(Utc::now());
    let p = store
        .get_policy(caller, Kind::Bucket, bucket, requested, now)
        .map_err(|e| storage_error(e, caller))?;
    ok(storage_policy(&p, bucket))
}

/// `PUT /storage/v1/b/{bucket}/iam` with the policy as the body.
pub(crate) fn set_iam(shared: &Shared, caller: &Caller, bucket: &str, req: &Req) -> Result<Routed, ApiError> {
    let incoming = parse_policy(req.json()?)?;
    let mut store = lock(&shared.store);
    existing(&store, bucket)?;
    let now = store.now(Utc::now());
    store
        .authorize(caller, Kind::Bucket, bucket, "setIamPolicy", now)
        .map_err(|e| storage_error(e, caller))?;
    let conflict_rate = lock(&shared.faults).conflict_rate;
    if take_fault(shared, |f| &mut f.conflict_next, conflict_rate) {
        // Storage answers a stale etag with 412 conditionNotMet, not 409 (its preconditions
        // are HTTP preconditions: <https://cloud.google.com/storage/docs/json_api/v1/status-codes#412_Precondition_Failed>).
        return Err(stale_etag());
    }
    let p = store.set_policy(caller, Kind::Bucket, bucket, incoming, None, now).map_err(|e| match e {
        StoreError::Aborted { .. } => stale_etag(),
        e => storage_error(e, caller),
    })?;
    shared.persist(&store)?;
    ok(storage_policy(&p, bucket))
}

/// Storage's answer to an etag that is no longer the policy's: 412 "Precondition Failed".
fn stale_etag() -> ApiError {
    ApiError::new(412, "FAILED_PRECONDITION", "conditionNotMet", "Precondition Failed")
}

/// `GET /storage/v1/b/{bucket}/iam/testPermissions?permissions=a&permissions=b`.
pub(crate) fn test_iam(
    shared: &Shared,
    caller: &Caller,
    bucket: &str,
    req: &Req,
) -> Result<Routed, ApiError> {
    let asked: Vec<String> =
        req.query_pairs().into_iter().filter(|(k, _)| k == "permissions").map(|(_, v)| v).collect();
    if asked.is_empty() {
        return Err(ApiError::new(400, "INVALID_ARGUMENT", "required", "Required parameter: permissions"));
    }
    let store = lock(&shared.store);
    existing(&store, bucket)?;
    let now = store.now(Utc::now());
    let held = store
        .test_permissions(caller, Kind::Bucket, bucket, &asked, now)
        .map_err(|e| storage_error(e, caller))?;
    let mut out = json!({"kind": "storage#testIamPermissionsResponse"});
    if !held.is_empty() {
        out["permissions"] = json!(held);
    }
    ok(out)
}

/// `GET /storage/v1/b/{bucket}`: the bucket's metadata (`projection=noAcl`), with
/// `iamConfiguration.uniformBucketLevelAccess.enabled` and its older twin `bucketPolicyOnly`.
pub(crate) fn get_bucket(shared: &Shared, caller: &Caller, bucket: &str) -> Result<Routed, ApiError> {
    let store = lock(&shared.store);
    let b = store.bucket(bucket).ok_or_else(no_such_bucket)?.clone();
    let now = store.now(Utc::now());
    store.authorize(caller, Kind::Bucket, bucket, "get", now).map_err(|e| storage_error(e, caller))?;
    let number = store.project(&b.project).map(|p| p.project_number.clone()).unwrap_or_default();
    let ubla = b.uniform_bucket_level_access;
    ok(json!({
        "kind": "storage#bucket",
        "selfLink": format!("https://www.googleapis.com/storage/v1/b/{}", b.name),
        "id": b.name,
        "name": b.name,
        "projectNumber": number,
        "metageneration": "1",
        "location": b.location.clone().unwrap_or_else(|| "US".into()),
        "storageClass": "STANDARD",
        "etag": "CAE=",
        "timeCreated": "2021-06-01T08:00:00.000Z",
        "updated": "2021-06-01T08:00:00.000Z",
        "iamConfiguration": {
            "bucketPolicyOnly": {"enabled": ubla},
            "uniformBucketLevelAccess": {"enabled": ubla},
            "publicAccessPrevention": "inherited"
        },
        "locationType": "multi-region",
    }))
}

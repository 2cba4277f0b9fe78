//! Privileged Access Manager v1 (issue 21 item 6): entitlements, grants, their long-running
//! operations and the grant's state machine, driven by the emulator's clock. No HTTP: the handlers
//! in `server::pam` call these functions with the caller and the time, and render [`PamError`].
//!
//! Every path, field and enum is PAM's v1 discovery document's, as gcloud's generated client
//! (`generated_clients/apis/privilegedaccessmanager/v1`) carries it; entitlements, grants and
//! operations are kept in exactly their JSON shape on the wire. docs/emulator.md ("Privileged
//! Access Manager") lists each rule with its source.
//!
//! How time moves a grant: [`tick`] runs before every request the emulator serves. A grant that a
//! request left `SCHEDULED` becomes `ACTIVATING` at the next request, and `ACTIVE` (its bindings
//! written) at the one after; an `ACTIVE` grant whose requested duration is over on the clock is
//! `ENDED` and its bindings removed; an `APPROVAL_AWAITED` grant 24 hours old is `EXPIRED`. A
//! long-running operation a request started is done at the next request.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::model::{Binding, Expr, Policy};
use super::store::{Caller, Kind, Store};

/// The title of the condition on every binding PAM writes: what tooling that must leave PAM's
/// bindings alone matches on (e.g. a Terraform project module's `pam_condition_title = "Created by:
/// PAM"` beside `pam_condition_expression_regex = "^request.time < timestamp\(\"[0-9]{4}-…Z\"\)$"`).
pub const PAM_TITLE: &str = "Created by: PAM";

/// "If a grant request requires approval and isn't approved or denied in 24 hours, the grant
/// status is changed to Expired" (<https://cloud.google.com/iam/docs/pam-request-temporary-elevated-access>).
pub const APPROVAL_WINDOW_HOURS: i64 = 24;

/// The longest `maxRequestDuration` an entitlement may have: 7 days (issue 21: "PAM's limits: at
/// most 7 days"; PAM's console offers durations up to 7 days).
pub const MAX_ENTITLEMENT_SECONDS: i64 = 7 * 24 * 3600;

/// What PAM keeps, in the state file's `pam` field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PamState {
    /// Entitlements in Google's JSON shape (`Entitlement`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<GrantRecord>,
    /// Long-running operations in Google's JSON shape (`Operation`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Value>,
}

impl PamState {
    pub fn is_empty(&self) -> bool {
        self.entitlements.is_empty() && self.grants.is_empty() && self.operations.is_empty()
    }
}

/// A grant, and what the emulator needs to end it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantRecord {
    /// Google's `Grant`.
    pub grant: Value,
    /// When the access ends (set at activation): the time in the bindings' condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_ends: Option<DateTime<Utc>>,
    /// The bindings activation wrote, exactly, so that the end removes those and nothing else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<Binding>,
    /// The operation of a revocation in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_operation: Option<String>,
    /// Who revoked it and why (the `revoked` event's body), until the revocation is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_actor: Option<Value>,
}

/// An error in Google's terms; `server::pam` renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PamError {
    pub code: u16,
    pub status: &'static str,
    pub message: String,
    /// For a 403: the permission and the resource, for the `ErrorInfo`.
    pub denied: Option<(String, String)>,
}

impl PamError {
    fn new(code: u16, status: &'static str, message: impl Into<String>) -> PamError {
        PamError { code, status, message: message.into(), denied: None }
    }
    pub fn invalid(message: impl Into<String>) -> PamError {
        PamError::new(400, "INVALID_ARGUMENT", message)
    }
    pub fn failed_precondition(message: impl Into<String>) -> PamError {
        PamError::new(400, "FAILED_PRECONDITION", message)
    }
    pub fn not_found(message: impl Into<String>) -> PamError {
        PamError::new(404, "NOT_FOUND", message)
    }
    fn already_exists(message: impl Into<String>) -> PamError {
        PamError::new(409, "ALREADY_EXISTS", message)
    }
    fn aborted(message: impl Into<String>) -> PamError {
        PamError::new(409, "ABORTED", message)
    }
    /// Google's IAM 403, naming the permission and the resource (`//privilegedaccessmanager…`).
    pub fn denied(permission: &str, resource: &str) -> PamError {
        let full = format!("//privilegedaccessmanager.googleapis.com/{resource}");
        let mut e = PamError::new(
            403,
            "PERMISSION_DENIED",
            format!("Permission '{permission}' denied on resource '{full}' (or it may not exist)."),
        );
        e.denied = Some((permission.to_string(), full));
        e
    }
    /// A 403 with PAM's own reason (not an IAM permission: eligibility, approvers).
    fn forbidden(message: impl Into<String>) -> PamError {
        PamError::new(403, "PERMISSION_DENIED", message)
    }
}

pub type PamResult<T> = Result<T, PamError>;

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// `3600s`, `5400.5s`: Google's JSON `Duration` (seconds with up to nine fractional digits and
/// `s`), as nanoseconds.
pub fn parse_duration(s: &str) -> Option<i128> {
    let body = s.strip_suffix('s')?;
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 12 {
        return None;
    }
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: i128 = format!("{frac:0<9}").parse().ok()?;
    Some(whole.parse::<i128>().ok()? * 1_000_000_000 + nanos)
}

/// A scope (`projects/ID|NUMBER`, `folders/N`, `organizations/N`) as the store's canonical key.
fn scope_key(store: &Store, scope: &str) -> Option<(Kind, String)> {
    let (coll, id) = scope.split_once('/')?;
    let kind = Kind::from_collection(coll)?;
    store.find(kind, id).map(|f| (kind, f.key))
}

/// A location name `SCOPE/locations/L`, split and checked.
pub struct Location {
    pub kind: Kind,
    /// The canonical key of the scope (`projects/ID`).
    pub key: String,
    /// The scope as the client wrote it.
    pub scope: String,
    pub location: String,
}

impl Location {
    /// The location's name as the client wrote its scope.
    pub fn name(&self) -> String {
        format!("{}/locations/{}", self.scope, self.location)
    }
}

/// Resolves `projects/P/locations/L` (L must be `global`). An unknown scope is a 403 for
/// `permission`, as IAM answers for a resource that does not exist.
pub fn location(store: &Store, scope: &str, location: &str, permission: &str) -> PamResult<Location> {
    let Some((kind, key)) = scope_key(store, scope) else {
        return Err(PamError::denied(permission, &format!("{scope}/locations/{location}")));
    };
    if location != "global" {
        // PAM's resources live in `global` (every example of the API and gcloud uses it).
        return Err(PamError::invalid(format!(
            "Location `{location}` is not supported: Privileged Access Manager serves location `global`."
        )));
    }
    Ok(Location { kind, key, scope: scope.to_string(), location: location.to_string() })
}

/// The canonical form of an entitlement's name (`projects/ID/locations/global/entitlements/E`).
fn canonical_name(store: &Store, name: &str) -> Option<String> {
    let mut parts = name.splitn(3, '/');
    let (coll, id, rest) = (parts.next()?, parts.next()?, parts.next()?);
    let (_, key) = scope_key(store, &format!("{coll}/{id}"))?;
    Some(format!("{key}/{rest}"))
}

fn str_of<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str().unwrap_or_default()
}

fn principal_of(caller: &Caller) -> PamResult<&str> {
    match caller {
        Caller::Principal(p) => Ok(p),
        Caller::Anyone => Err(PamError::failed_precondition(
            "Privileged Access Manager needs the caller's identity; the emulator runs with --no-auth.",
        )),
    }
}

/// The bare e-mail of a principal (`user:bob@example.com` → `bob@example.com`), as PAM names
/// requesters and actors ("Username of the user").
fn email(principal: &str) -> &str {
    principal.split_once(':').map_or(principal, |(_, e)| e)
}

/// True when `principal` is one of the principals of the access control entries (directly or
/// through a group).
fn in_acl(store: &Store, entries: &Value, principal: &str) -> bool {
    entries.as_array().into_iter().flatten().any(|e| {
        e["principals"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|m| store.member_matches(m, principal))
    })
}

fn approvers(ent: &Value) -> &Value {
    &ent["approvalWorkflow"]["manualApprovals"]["steps"][0]["approvers"]
}

fn has_workflow(ent: &Value) -> bool {
    ent["approvalWorkflow"]["manualApprovals"].is_object()
}

// ---- validation of an entitlement -------------------------------------------------------------

/// "4-63 characters in length, and valid characters are "[a-z]", "[0-9]", and "-". The first
/// character should be from [a-z]" (`entitlementId`, PAM's discovery document).
pub fn valid_entitlement_id(id: &str) -> bool {
    (4..=63).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn resource_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Organization => "cloudresourcemanager.googleapis.com/Organization",
        Kind::Folder => "cloudresourcemanager.googleapis.com/Folder",
        _ => "cloudresourcemanager.googleapis.com/Project",
    }
}

fn check_principals(entries: &Value, field: &str) -> PamResult<()> {
    let Some(list) = entries.as_array() else {
        return Err(PamError::invalid(format!("`{field}` must be a list of access control entries.")));
    };
    if list.len() > 1 {
        // "This list should contain at most one entry." (eligibleUsers, Step.approvers)
        return Err(PamError::invalid(format!("`{field}` can contain at most one entry.")));
    }
    for e in list {
        let principals = e["principals"].as_array().cloned().unwrap_or_default();
        if principals.is_empty() {
            return Err(PamError::invalid(format!("`{field}.principals` must name at least one principal.")));
        }
        for p in principals {
            let p = p.as_str().unwrap_or_default();
            if p == "allUsers" || p == "allAuthenticatedUsers" {
                return Err(PamError::invalid(format!("`{field}` does not accept the principal `{p}`.")));
            }
            let ok = ["user:", "group:", "serviceAccount:", "domain:", "principal://", "principalSet://"]
                .iter()
                .any(|prefix| p.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty()));
            if !ok {
                return Err(PamError::invalid(format!(
                    "`{p}` in `{field}` is not a valid IAM principal identifier \
                     (https://cloud.google.com/iam/docs/principal-identifiers#v1)."
                )));
            }
        }
    }
    Ok(())
}

/// Checks an entitlement as a client sent it (create, or the result of a patch) against the
/// scope it lives in; fills nothing.
fn check_entitlement(store: &Store, loc: &Location, e: &Value) -> PamResult<()> {
    let max = str_of(e, &["maxRequestDuration"]);
    if max.is_empty() {
        return Err(PamError::invalid("`maxRequestDuration` is required."));
    }
    let nanos = parse_duration(max)
        .ok_or_else(|| PamError::invalid(format!("`maxRequestDuration` `{max}` is not a duration.")))?;
    if nanos <= 0 || nanos > i128::from(MAX_ENTITLEMENT_SECONDS) * 1_000_000_000 {
        return Err(PamError::invalid(format!(
            "`maxRequestDuration` must be more than 0 and at most {MAX_ENTITLEMENT_SECONDS}s (7 days); got `{max}`."
        )));
    }
    let justification = &e["requesterJustificationConfig"];
    let kinds = ["notMandatory", "unstructured"].iter().filter(|k| justification[**k].is_object()).count();
    if kinds != 1 {
        return Err(PamError::invalid(
            "`requesterJustificationConfig` is required and must set exactly one of `notMandatory` and `unstructured`.",
        ));
    }
    let access = &e["privilegedAccess"]["gcpIamAccess"];
    if !access.is_object() {
        return Err(PamError::invalid("`privilegedAccess.gcpIamAccess` is required."));
    }
    let want_type = resource_type(loc.kind);
    if str_of(access, &["resourceType"]) != want_type {
        return Err(PamError::invalid(format!(
            "`privilegedAccess.gcpIamAccess.resourceType` must be `{want_type}` for an entitlement in `{}`.",
            loc.scope
        )));
    }
    let resource = str_of(access, &["resource"]);
    let named =
        resource.strip_prefix("//cloudresourcemanager.googleapis.com/").and_then(|s| scope_key(store, s));
    if named.as_ref().map(|(_, k)| k) != Some(&loc.key) {
        return Err(PamError::invalid(format!(
            "`privilegedAccess.gcpIamAccess.resource` must be the entitlement's own resource, \
             `//cloudresourcemanager.googleapis.com/{}`; got `{resource}`.",
            loc.scope
        )));
    }
    let bindings = access["roleBindings"].as_array().cloned().unwrap_or_default();
    if bindings.is_empty() {
        return Err(PamError::invalid(
            "`privilegedAccess.gcpIamAccess.roleBindings` must hold at least one role.",
        ));
    }
    for b in &bindings {
        let role = str_of(b, &["role"]);
        if role.is_empty() {
            return Err(PamError::invalid("Every role binding needs a `role`."));
        }
        if ["roles/owner", "roles/editor", "roles/viewer"].contains(&role) {
            // "You can't use basic roles in entitlements" (issue 21, "PAM's limits: no basic
            // roles"; observed: an entitlement offering `roles/owner` is refused).
            return Err(PamError::invalid(format!(
                "Basic role `{role}` is not supported in entitlements; use predefined or custom roles."
            )));
        }
        let known = if role.starts_with("roles/") {
            super::catalog::catalog().role(role).is_some()
        } else {
            store.custom_role_in_hierarchy(&loc.key, role)
        };
        if !known {
            return Err(PamError::invalid(format!(
                "Role `{role}` does not exist or cannot be granted on `{}`.",
                loc.scope
            )));
        }
    }
    check_principals(&e["eligibleUsers"], "eligibleUsers")?;
    if e["eligibleUsers"].as_array().is_none_or(Vec::is_empty) {
        return Err(PamError::invalid("`eligibleUsers` must name who can request grants."));
    }
    if !e["approvalWorkflow"].is_null() {
        let manual = &e["approvalWorkflow"]["manualApprovals"];
        if !manual.is_object() {
            return Err(PamError::invalid("`approvalWorkflow` must be a `manualApprovals` workflow."));
        }
        let steps = manual["steps"].as_array().cloned().unwrap_or_default();
        if steps.len() != 1 {
            // "Only 1 step is supported."
            return Err(PamError::invalid(
                "`approvalWorkflow.manualApprovals.steps` must hold exactly 1 step.",
            ));
        }
        let needed = steps[0]["approvalsNeeded"].as_i64().unwrap_or(0);
        if needed != 1 {
            // "Should always be greater than 0. 1 is the only supported value."
            return Err(PamError::invalid("`approvalsNeeded` must be 1, the only supported value."));
        }
        check_principals(&steps[0]["approvers"], "approvers")?;
        if steps[0]["approvers"].as_array().is_none_or(Vec::is_empty) {
            return Err(PamError::invalid("The approval step must name its `approvers`."));
        }
    }
    Ok(())
}

/// The fields a client may set on an entitlement (the rest are output only).
const INPUT_FIELDS: [&str; 6] = [
    "eligibleUsers",
    "approvalWorkflow",
    "privilegedAccess",
    "maxRequestDuration",
    "requesterJustificationConfig",
    "additionalNotificationTargets",
];

fn new_etag() -> String {
    format!("\"{}\"", hex::encode(rand::random::<[u8; 8]>()))
}

// ---- audit -----------------------------------------------------------------------------------

const PAM_SERVICE: &str = "privilegedaccessmanager.googleapis.com";
const METHOD_PREFIX: &str = "google.cloud.privilegedaccessmanager.v1.PrivilegedAccessManager.";

/// The PAM service agent of a scope: `service-org-N@gcp-sa-pam…` for an organization,
/// `service-folder-N@…` for a folder and `service-NUMBER@…` for a project
/// (<https://cloud.google.com/iam/docs/service-agents>, "Privileged Access Manager Service Agent").
pub fn service_agent(store: &Store, key: &str) -> String {
    let (coll, id) = key.split_once('/').unwrap_or_default();
    let id = match coll {
        "organizations" => format!("org-{id}"),
        "folders" => format!("folder-{id}"),
        _ => store.project(id).map(|p| p.project_number.clone()).unwrap_or_default(),
    };
    format!("service-{id}@gcp-sa-pam.iam.gserviceaccount.com")
}

/// Appends an audit entry for a PAM action: Admin Activity for a caller's action, System Event for
/// PAM's own (activation, end, expiry), as Cloud Audit Logs separates them
/// (<https://cloud.google.com/logging/docs/audit#types>).
fn audit(
    store: &mut Store,
    who: Option<&str>,
    method: &str,
    permission: Option<&str>,
    (resource_name, scope_key): (&str, &str),
    fields: Value,
    now: DateTime<Utc>,
) {
    let stamp = now.to_rfc3339_opts(SecondsFormat::Micros, true);
    let sequence = store.data.log_entries.len() as u64 + 1;
    let mut labels = Map::new();
    labels.insert("service".into(), json!(PAM_SERVICE));
    labels.insert("method".into(), json!(method));
    let (coll, id) = scope_key.split_once('/').unwrap_or_default();
    let label = match coll {
        "organizations" => "organization_id",
        "folders" => "folder_id",
        _ => "project_id",
    };
    labels.insert(label.into(), json!(id));
    let mut payload = json!({
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "status": {},
        "authenticationInfo": {},
        "serviceName": PAM_SERVICE,
        "methodName": method,
        "resourceName": resource_name,
    });
    // `request`, `response`, `operation`, `status`: what the entry says of the call.
    for (k, v) in fields.as_object().into_iter().flatten() {
        payload[k] = v.clone();
    }
    let log = match who {
        Some(p) => {
            payload["authenticationInfo"] = json!({"principalEmail": email(p)});
            payload["requestMetadata"] = json!({"callerIp": "127.0.0.1"});
            if let Some(perm) = permission {
                payload["authorizationInfo"] = json!([{"resource": resource_name, "permission": perm, "granted": true, "resourceAttributes": {}}]);
            }
            "cloudaudit.googleapis.com%2Factivity"
        }
        None => "cloudaudit.googleapis.com%2Fsystem_event",
    };
    let entry = json!({
        "protoPayload": payload,
        "insertId": format!("emu{sequence:016}"),
        "resource": {"type": "audited_resource", "labels": labels},
        "timestamp": stamp,
        "severity": "NOTICE",
        "logName": format!("{scope_key}/logs/{log}"),
        "receiveTimestamp": stamp,
    });
    store.push_log_entry(entry);
}

// ---- operations ------------------------------------------------------------------------------

fn new_operation(loc_name: &str, target: &str, verb: &str, now: DateTime<Utc>) -> Value {
    let id = format!("operation-{}-{}", now.timestamp_millis(), hex::encode(rand::random::<[u8; 12]>()));
    json!({
        "name": format!("{loc_name}/operations/{id}"),
        "metadata": {
            "@type": "type.googleapis.com/google.cloud.privilegedaccessmanager.v1.OperationMetadata",
            "createTime": time(now),
            "target": target,
            "verb": verb,
            "requestedCancellation": false,
            "apiVersion": "v1",
        },
        "done": false,
    })
}

/// `operations.get`: an operation by name. The emulator lets the caller who started it, and any
/// holder of `privilegedaccessmanager.operations.get` on the scope, read it.
pub fn get_operation(
    store: &Store,
    caller: &Caller,
    loc: &Location,
    name: &str,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.operations.get";
    let wanted = canonical_name(store, name);
    let op = store
        .data
        .pam
        .operations
        .iter()
        .find(|o| canonical_name(store, str_of(o, &["name"])) == wanted && wanted.is_some());
    let allowed = store.has_permission(caller, &loc.key, permission, now)
        || op.is_some_and(|o| matches!(caller, Caller::Principal(p) if o["starter"] == json!(p)));
    match op {
        Some(o) if allowed => {
            let mut o = o.clone();
            o.as_object_mut().map(|m| m.remove("starter"));
            Ok(o)
        }
        Some(_) => Err(PamError::denied(permission, name)),
        None if allowed || store.has_permission(caller, &loc.key, permission, now) => {
            Err(PamError::not_found(format!("Operation `{name}` not found.")))
        }
        None => Err(PamError::denied(permission, name)),
    }
}

/// `operations.list` on a location (permission `privilegedaccessmanager.operations.list`).
pub fn list_operations(
    store: &Store,
    caller: &Caller,
    loc: &Location,
    now: DateTime<Utc>,
) -> PamResult<Vec<Value>> {
    let permission = "privilegedaccessmanager.operations.list";
    if !store.has_permission(caller, &loc.key, permission, now) {
        return Err(PamError::denied(permission, &loc.name()));
    }
    let prefix = format!("{}/locations/{}/operations/", loc.key, loc.location);
    Ok(store
        .data
        .pam
        .operations
        .iter()
        .filter(|o| canonical_name(store, str_of(o, &["name"])).is_some_and(|n| n.starts_with(&prefix)))
        .map(|o| {
            let mut o = o.clone();
            o.as_object_mut().map(|m| m.remove("starter"));
            o
        })
        .collect())
}

/// `operations.delete`: forgets an operation (it does not cancel it).
pub fn delete_operation(
    store: &mut Store,
    caller: &Caller,
    loc: &Location,
    name: &str,
    now: DateTime<Utc>,
) -> PamResult<()> {
    let permission = "privilegedaccessmanager.operations.delete";
    if !store.has_permission(caller, &loc.key, permission, now) {
        return Err(PamError::denied(permission, name));
    }
    let wanted = canonical_name(store, name);
    let before = store.data.pam.operations.len();
    let names: Vec<Option<String>> =
        store.data.pam.operations.iter().map(|o| canonical_name(store, str_of(o, &["name"]))).collect();
    let mut i = 0;
    store.data.pam.operations.retain(|_| {
        let keep = wanted.is_none() || names[i] != wanted;
        i += 1;
        keep
    });
    if store.data.pam.operations.len() == before {
        return Err(PamError::not_found(format!("Operation `{name}` not found.")));
    }
    Ok(())
}

// ---- entitlements ----------------------------------------------------------------------------

fn find_entitlement(store: &Store, name: &str) -> Option<usize> {
    let wanted = canonical_name(store, name)?;
    store
        .data
        .pam
        .entitlements
        .iter()
        .position(|e| canonical_name(store, str_of(e, &["name"])).as_deref() == Some(&wanted))
}

/// `entitlements.create`: needs `privilegedaccessmanager.entitlements.create` and, as PAM's
/// "Required permissions" list (<https://cloud.google.com/iam/docs/pam-permissions-and-setup>),
/// the right to set the resource's allow policy. Returns the operation (not done: it is done at
/// the next request).
pub fn create_entitlement(
    store: &mut Store,
    caller: &Caller,
    loc: &Location,
    id: Option<&str>,
    body: Value,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.entitlements.create";
    if !store.has_permission(caller, &loc.key, permission, now) {
        return Err(PamError::denied(permission, &loc.name()));
    }
    let set = loc.kind.permission("setIamPolicy");
    if !store.has_permission(caller, &loc.key, &set, now) {
        return Err(PamError::denied(&set, &loc.name()));
    }
    let Some(id) = id.filter(|i| !i.is_empty()) else {
        return Err(PamError::invalid("`entitlementId` is required."));
    };
    if !valid_entitlement_id(id) {
        return Err(PamError::invalid(format!(
            "`entitlementId` `{id}` is not valid: it must be 4-63 characters of [a-z], [0-9] and `-`, starting with a letter."
        )));
    }
    let name = format!("{}/entitlements/{id}", loc.name());
    if find_entitlement(store, &name).is_some() {
        return Err(PamError::already_exists(format!("Entitlement `{name}` already exists.")));
    }
    let Value::Object(fields) = body else {
        return Err(PamError::invalid("The entitlement must be a JSON object."));
    };
    let mut ent = Map::new();
    for f in INPUT_FIELDS {
        if let Some(v) = fields.get(f).filter(|v| !v.is_null()) {
            ent.insert(f.into(), v.clone());
        }
    }
    let mut ent = Value::Object(ent);
    check_entitlement(store, loc, &ent)?;
    ent["name"] = json!(name);
    ent["createTime"] = json!(time(now));
    ent["updateTime"] = json!(time(now));
    ent["state"] = json!("CREATING");
    ent["etag"] = json!(new_etag());
    let mut op = new_operation(&loc.name(), &name, "create", now);
    op["starter"] = json!(principal_of(caller).unwrap_or_default());
    store.data.pam.entitlements.push(ent.clone());
    store.data.pam.operations.push(op.clone());
    audit(
        store,
        principal_of(caller).ok(),
        &format!("{METHOD_PREFIX}CreateEntitlement"),
        Some(permission),
        (&name, &loc.key),
        json!({"request": {"parent": loc.name(), "entitlementId": id, "entitlement": ent}}),
        now,
    );
    op.as_object_mut().map(|m| m.remove("starter"));
    Ok(op)
}

/// `entitlements.get` (`privilegedaccessmanager.entitlements.get`).
pub fn get_entitlement(
    store: &Store,
    caller: &Caller,
    loc: &Location,
    name: &str,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.entitlements.get";
    if !store.has_permission(caller, &loc.key, permission, now) {
        return Err(PamError::denied(permission, name));
    }
    find_entitlement(store, name)
        .map(|i| store.data.pam.entitlements[i].clone())
        .ok_or_else(|| PamError::not_found(format!("Entitlement `{name}` not found.")))
}

fn entitlements_in<'a>(store: &'a Store, loc: &Location) -> impl Iterator<Item = &'a Value> + 'a {
    let prefix = format!("{}/locations/{}/entitlements/", loc.key, loc.location);
    store
        .data
        .pam
        .entitlements
        .iter()
        .filter(move |e| canonical_name(store, str_of(e, &["name"])).is_some_and(|n| n.starts_with(&prefix)))
}

/// `entitlements.list` (`privilegedaccessmanager.entitlements.list`), in name order.
pub fn list_entitlements(
    store: &Store,
    caller: &Caller,
    loc: &Location,
    now: DateTime<Utc>,
) -> PamResult<Vec<Value>> {
    let permission = "privilegedaccessmanager.entitlements.list";
    if !store.has_permission(caller, &loc.key, permission, now) {
        return Err(PamError::denied(permission, &loc.name()));
    }
    let mut out: Vec<Value> = entitlements_in(store, loc).cloned().collect();
    out.sort_by(|a, b| str_of(a, &["name"]).cmp(str_of(b, &["name"])));
    Ok(out)
}

/// `entitlements.search`: the entitlements on which the caller is a requester
/// (`GRANT_REQUESTER`) or an approver (`GRANT_APPROVER`); no IAM permission is needed
/// ("Principals requesting grants and approving or denying the grants don't require any
/// PAM-specific permissions", <https://cloud.google.com/iam/docs/pam-permissions-and-setup>).
pub fn search_entitlements(
    store: &Store,
    caller: &Caller,
    loc: &Location,
    access: &str,
) -> PamResult<Vec<Value>> {
    let principal = principal_of(caller)?;
    let mut out: Vec<Value> = match access {
        "GRANT_REQUESTER" => entitlements_in(store, loc)
            .filter(|e| in_acl(store, &e["eligibleUsers"], principal))
            .cloned()
            .collect(),
        "GRANT_APPROVER" => {
            entitlements_in(store, loc).filter(|e| in_acl(store, approvers(e), principal)).cloned().collect()
        }
        "" | "CALLER_ACCESS_TYPE_UNSPECIFIED" => {
            return Err(PamError::invalid(
                "`callerAccessType` is required: GRANT_REQUESTER or GRANT_APPROVER.",
            ));
        }
        other => return Err(PamError::invalid(format!("Invalid value for `callerAccessType`: `{other}`."))),
    };
    out.retain(|e| str_of(e, &["state"]) == "AVAILABLE");
    out.sort_by(|a, b| str_of(a, &["name"]).cmp(str_of(b, &["name"])));
    Ok(out)
}

/// `entitlements.patch` with `updateMask` (`*` for every field, as gcloud sends). What the
/// discovery document forbids: changing the resource or its type, adding or removing the approval
/// workflow, adding or removing a step. The etag, when sent, must match.
pub fn patch_entitlement(
    store: &mut Store,
    caller: &Caller,
    loc: &Location,
    name: &str,
    mask: Option<&str>,
    body: Value,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.entitlements.update";
    if !store.has_permission(caller, &loc.key, permission, now) {
        return Err(PamError::denied(permission, name));
    }
    let set = loc.kind.permission("setIamPolicy");
    if !store.has_permission(caller, &loc.key, &set, now) {
        return Err(PamError::denied(&set, name));
    }
    let i = find_entitlement(store, name)
        .ok_or_else(|| PamError::not_found(format!("Entitlement `{name}` not found.")))?;
    let current = store.data.pam.entitlements[i].clone();
    if str_of(&current, &["state"]) != "AVAILABLE" {
        return Err(PamError::failed_precondition(format!(
            "Entitlement `{name}` is {}; it can be updated only when AVAILABLE.",
            str_of(&current, &["state"])
        )));
    }
    let etag = str_of(&body, &["etag"]);
    if !etag.is_empty() && etag != str_of(&current, &["etag"]) {
        return Err(PamError::aborted(
            "The etag does not match the entitlement's current etag; read it again and retry.",
        ));
    }
    let mask = mask
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| PamError::invalid("`updateMask` is required."))?;
    let paths: Vec<&str> =
        if mask == "*" { INPUT_FIELDS.to_vec() } else { mask.split(',').map(str::trim).collect() };
    let mut next = current.clone();
    for path in &paths {
        let top = path.split('.').next().unwrap_or_default();
        if !INPUT_FIELDS.contains(&top) {
            return Err(PamError::invalid(format!("`{path}` cannot be updated (updateMask).")));
        }
        // A dotted path replaces that field only.
        let mut src = &body;
        let segments: Vec<&str> = path.split('.').collect();
        for s in &segments {
            src = &src[*s];
        }
        let mut dst = &mut next;
        for s in &segments[..segments.len() - 1] {
            dst = &mut dst[*s];
        }
        let last = segments[segments.len() - 1];
        if let Some(obj) = dst.as_object_mut() {
            if src.is_null() {
                obj.remove(last);
            } else {
                obj.insert(last.to_string(), src.clone());
            }
        }
    }
    let access = |v: &Value| v["privilegedAccess"]["gcpIamAccess"].clone();
    if access(&next)["resource"] != access(&current)["resource"]
        || access(&next)["resourceType"] != access(&current)["resourceType"]
    {
        return Err(PamError::invalid("The entitlement's resource and resource type cannot be updated."));
    }
    if has_workflow(&next) != has_workflow(&current) {
        return Err(PamError::invalid(
            "An approval workflow cannot be added to or removed from an existing entitlement.",
        ));
    }
    check_entitlement(store, loc, &next)?;
    next["updateTime"] = json!(time(now));
    next["state"] = json!("UPDATING");
    next["etag"] = json!(new_etag());
    store.data.pam.entitlements[i] = next.clone();
    let mut op = new_operation(&loc.name(), str_of(&current, &["name"]), "update", now);
    op["starter"] = json!(principal_of(caller).unwrap_or_default());
    store.data.pam.operations.push(op.clone());
    audit(
        store,
        principal_of(caller).ok(),
        &format!("{METHOD_PREFIX}UpdateEntitlement"),
        Some(permission),
        (str_of(&current, &["name"]), &loc.key),
        json!({"request": {"entitlement": next, "updateMask": mask}}),
        now,
    );
    op.as_object_mut().map(|m| m.remove("starter"));
    Ok(op)
}

/// `entitlements.delete`: "can only be called when there are no in-progress
/// (`ACTIVE`/`ACTIVATING`/`REVOKING`) grants under the entitlement"; without `force`, only when it
/// has no grant at all.
pub fn delete_entitlement(
    store: &mut Store,
    caller: &Caller,
    loc: &Location,
    name: &str,
    force: bool,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.entitlements.delete";
    if !store.has_permission(caller, &loc.key, permission, now) {
        return Err(PamError::denied(permission, name));
    }
    let i = find_entitlement(store, name)
        .ok_or_else(|| PamError::not_found(format!("Entitlement `{name}` not found.")))?;
    let ent_name = str_of(&store.data.pam.entitlements[i], &["name"]).to_string();
    let canonical = canonical_name(store, &ent_name).unwrap_or_default();
    let grants: Vec<&GrantRecord> = store
        .data
        .pam
        .grants
        .iter()
        .filter(|g| {
            canonical_name(store, str_of(&g.grant, &["name"]))
                .is_some_and(|n| n.starts_with(&format!("{canonical}/grants/")))
        })
        .collect();
    if grants.iter().any(|g| ["ACTIVE", "ACTIVATING", "REVOKING"].contains(&str_of(&g.grant, &["state"]))) {
        return Err(PamError::failed_precondition(format!(
            "Entitlement `{name}` has grants in progress (ACTIVE, ACTIVATING or REVOKING); revoke them or wait for them to end."
        )));
    }
    if !grants.is_empty() && !force {
        return Err(PamError::failed_precondition(format!(
            "Entitlement `{name}` has grants; delete it with `force` to delete them too."
        )));
    }
    store.data.pam.entitlements[i]["state"] = json!("DELETING");
    let mut op = new_operation(&loc.name(), &ent_name, "delete", now);
    op["starter"] = json!(principal_of(caller).unwrap_or_default());
    store.data.pam.operations.push(op.clone());
    audit(
        store,
        principal_of(caller).ok(),
        &format!("{METHOD_PREFIX}DeleteEntitlement"),
        Some(permission),
        (&ent_name, &loc.key),
        json!({"request": {"name": ent_name, "force": force}}),
        now,
    );
    op.as_object_mut().map(|m| m.remove("starter"));
    Ok(op)
}

// ---- grants ----------------------------------------------------------------------------------

fn grant_index(store: &Store, name: &str) -> Option<usize> {
    let wanted = canonical_name(store, name)?;
    store
        .data
        .pam
        .grants
        .iter()
        .position(|g| canonical_name(store, str_of(&g.grant, &["name"])).as_deref() == Some(&wanted))
}

fn grants_of<'a>(store: &'a Store, entitlement: &'a str) -> impl Iterator<Item = &'a GrantRecord> + 'a {
    let prefix = canonical_name(store, entitlement).map(|n| format!("{n}/grants/"));
    store.data.pam.grants.iter().filter(move |g| {
        prefix.as_ref().is_some_and(|p| {
            canonical_name(store, str_of(&g.grant, &["name"])).is_some_and(|n| n.starts_with(p))
        })
    })
}

fn push_event(grant: &mut Value, event: &str, body: Value, now: DateTime<Utc>) {
    let mut e = Map::new();
    e.insert(event.into(), body);
    e.insert("eventTime".into(), json!(time(now)));
    if let Some(events) = grant["timeline"]["events"].as_array_mut() {
        events.push(Value::Object(e));
    }
    grant["updateTime"] = json!(time(now));
}

fn uuid() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!("{}-{}-4{}-a{}-{}", &h[..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

const OPEN: [&str; 4] = ["APPROVAL_AWAITED", "SCHEDULED", "ACTIVATING", "ACTIVE"];

/// `grants.create`: the checks PAM makes. The requester must be eligible (in `eligibleUsers`,
/// directly or through a group); the requested duration at most the entitlement's
/// `maxRequestDuration` ("A requester can ask for a duration less than this, but never more"); a
/// justification when `requesterJustificationConfig.unstructured` is set; no second open grant of
/// the same requester on the entitlement ("You can't request a grant with the same scope as an
/// existing grant in the Active or Approval awaited state",
/// <https://cloud.google.com/iam/docs/pam-request-temporary-elevated-access>).
pub fn create_grant(
    store: &mut Store,
    caller: &Caller,
    entitlement: &str,
    body: Value,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let principal = principal_of(caller)?.to_string();
    let i = find_entitlement(store, entitlement);
    let eligible =
        i.is_some_and(|i| in_acl(store, &store.data.pam.entitlements[i]["eligibleUsers"], &principal));
    let Some(i) = i.filter(|_| eligible) else {
        // An ineligible caller learns nothing about the entitlement.
        return Err(PamError::forbidden(format!(
            "You are not eligible to request grants against the entitlement `{entitlement}` (or it may not exist)."
        )));
    };
    let ent = store.data.pam.entitlements[i].clone();
    if str_of(&ent, &["state"]) != "AVAILABLE" {
        return Err(PamError::failed_precondition(format!(
            "Entitlement `{entitlement}` is {}; grants can be requested only when it is AVAILABLE.",
            str_of(&ent, &["state"])
        )));
    }
    let requested = str_of(&body, &["requestedDuration"]);
    if requested.is_empty() {
        return Err(PamError::invalid("`requestedDuration` is required."));
    }
    let nanos = parse_duration(requested)
        .ok_or_else(|| PamError::invalid(format!("`requestedDuration` `{requested}` is not a duration.")))?;
    let max = str_of(&ent, &["maxRequestDuration"]);
    let max_nanos = parse_duration(max).unwrap_or(0);
    if nanos <= 0 {
        return Err(PamError::invalid("`requestedDuration` must be more than 0."));
    }
    if nanos > max_nanos {
        return Err(PamError::invalid(format!(
            "The requested duration {requested} is more than the entitlement's maximum request duration {max}."
        )));
    }
    let justification = str_of(&body, &["justification", "unstructuredJustification"]);
    if ent["requesterJustificationConfig"]["unstructured"].is_object() && justification.trim().is_empty() {
        return Err(PamError::invalid(
            "A justification is required by the entitlement: set `justification.unstructuredJustification`.",
        ));
    }
    let who = email(&principal).to_string();
    let ent_name = str_of(&ent, &["name"]).to_string();
    if grants_of(store, &ent_name).any(|g| {
        str_of(&g.grant, &["requester"]).eq_ignore_ascii_case(&who)
            && OPEN.contains(&str_of(&g.grant, &["state"]))
    }) {
        return Err(PamError::failed_precondition(format!(
            "You already have an open grant (approval awaited, scheduled or active) against the entitlement `{ent_name}`."
        )));
    }
    let name = format!("{}/grants/{}", entitlement, uuid());
    let mut grant = json!({
        "name": name,
        "createTime": time(now),
        "updateTime": time(now),
        "requester": who,
        "requestedDuration": requested,
        "state": "APPROVAL_AWAITED",
        "timeline": {"events": []},
        "privilegedAccess": ent["privilegedAccess"],
    });
    if !justification.is_empty() {
        grant["justification"] = json!({"unstructuredJustification": justification});
    }
    if let Some(r) = body["additionalEmailRecipients"].as_array().filter(|r| !r.is_empty()) {
        grant["additionalEmailRecipients"] = json!(r);
    }
    if has_workflow(&ent) {
        let expire = now + Duration::hours(APPROVAL_WINDOW_HOURS);
        push_event(&mut grant, "requested", json!({"expireTime": time(expire)}), now);
    } else {
        push_event(&mut grant, "requested", json!({}), now);
        grant["state"] = json!("SCHEDULED");
        push_event(&mut grant, "scheduled", json!({"scheduledActivationTime": time(now)}), now);
    }
    store.data.pam.grants.push(GrantRecord { grant: grant.clone(), ..GrantRecord::default() });
    let (scope, _) = scope_of_name(store, &name);
    audit(
        store,
        Some(&principal),
        &format!("{METHOD_PREFIX}CreateGrant"),
        None,
        (&name, &scope),
        json!({"request": {"parent": entitlement, "grant": body}, "response": grant_response(&grant)}),
        now,
    );
    Ok(grant)
}

/// The scope's canonical key of a PAM resource name, and the name's rest.
fn scope_of_name(store: &Store, name: &str) -> (String, String) {
    let canonical = canonical_name(store, name).unwrap_or_default();
    let (scope, rest) = canonical.split_once("/locations/").unwrap_or_default();
    (scope.to_string(), rest.to_string())
}

fn entitlement_of_grant(name: &str) -> &str {
    name.rsplit_once("/grants/").map_or(name, |(e, _)| e)
}

/// Who may read a grant: its requester, its entitlement's approvers, or a holder of
/// `privilegedaccessmanager.grants.get` on the scope.
fn may_read(store: &Store, caller: &Caller, g: &GrantRecord, permission: &str, now: DateTime<Utc>) -> bool {
    let (scope, _) = scope_of_name(store, str_of(&g.grant, &["name"]));
    if store.has_permission(caller, &scope, permission, now) {
        return true;
    }
    let Caller::Principal(p) = caller else { return true };
    if str_of(&g.grant, &["requester"]).eq_ignore_ascii_case(email(p)) {
        return true;
    }
    find_entitlement(store, entitlement_of_grant(str_of(&g.grant, &["name"])))
        .is_some_and(|i| in_acl(store, approvers(&store.data.pam.entitlements[i]), p))
}

/// `grants.get`.
pub fn get_grant(store: &Store, caller: &Caller, name: &str, now: DateTime<Utc>) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.grants.get";
    match grant_index(store, name) {
        Some(i) if may_read(store, caller, &store.data.pam.grants[i], permission, now) => {
            Ok(store.data.pam.grants[i].grant.clone())
        }
        _ => Err(PamError::denied(permission, name)),
    }
}

/// `grants.list` (`privilegedaccessmanager.grants.list` on the scope), oldest first.
pub fn list_grants(
    store: &Store,
    caller: &Caller,
    entitlement: &str,
    now: DateTime<Utc>,
) -> PamResult<Vec<Value>> {
    let permission = "privilegedaccessmanager.grants.list";
    let (scope, _) = scope_of_name(store, entitlement);
    if scope.is_empty() || !store.has_permission(caller, &scope, permission, now) {
        return Err(PamError::denied(permission, entitlement));
    }
    if find_entitlement(store, entitlement).is_none() {
        return Err(PamError::not_found(format!("Entitlement `{entitlement}` not found.")));
    }
    Ok(grants_of(store, entitlement).map(|g| g.grant.clone()).collect())
}

/// `grants.search` by `callerRelationship`: `HAD_CREATED` (the caller requested it), `CAN_APPROVE`
/// (awaiting approval, the caller is an approver and not the requester) and `HAD_APPROVED` (the
/// caller approved or denied it).
pub fn search_grants(
    store: &Store,
    caller: &Caller,
    entitlement: &str,
    relationship: &str,
) -> PamResult<Vec<Value>> {
    let principal = principal_of(caller)?;
    let me = email(principal);
    let Some(i) = find_entitlement(store, entitlement) else {
        return Err(PamError::not_found(format!("Entitlement `{entitlement}` not found.")));
    };
    let ent = &store.data.pam.entitlements[i];
    let acted = |g: &Value| {
        g["timeline"]["events"].as_array().into_iter().flatten().any(|e| {
            ["approved", "denied"]
                .iter()
                .any(|k| e[*k]["actor"].as_str().is_some_and(|a| a.eq_ignore_ascii_case(me)))
        })
    };
    let mine = |g: &Value| str_of(g, &["requester"]).eq_ignore_ascii_case(me);
    let keep: Box<dyn Fn(&Value) -> bool> = match relationship {
        "HAD_CREATED" => Box::new(mine),
        "CAN_APPROVE" => Box::new(|g: &Value| {
            str_of(g, &["state"]) == "APPROVAL_AWAITED"
                && !mine(g)
                && in_acl(store, approvers(ent), principal)
        }),
        "HAD_APPROVED" => Box::new(acted),
        "" | "CALLER_RELATIONSHIP_TYPE_UNSPECIFIED" => {
            return Err(PamError::invalid(
                "`callerRelationship` is required: HAD_CREATED, CAN_APPROVE or HAD_APPROVED.",
            ));
        }
        other => {
            return Err(PamError::invalid(format!("Invalid value for `callerRelationship`: `{other}`.")));
        }
    };
    Ok(grants_of(store, entitlement).map(|g| &g.grant).filter(|g| keep(g)).cloned().collect())
}

/// `grants.approve` and `grants.deny`: only on an `APPROVAL_AWAITED` grant ("This method can only
/// be called on a grant when it's in the `APPROVAL_AWAITED` state"), by an approver the workflow
/// names who is not the requester, with a reason when `requireApproverJustification` is set.
pub fn decide(
    store: &mut Store,
    caller: &Caller,
    name: &str,
    approve: bool,
    reason: &str,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let principal = principal_of(caller)?.to_string();
    let Some(gi) = grant_index(store, name) else {
        return Err(PamError::forbidden(format!(
            "You cannot act on the grant `{name}` (or it may not exist)."
        )));
    };
    let grant = store.data.pam.grants[gi].grant.clone();
    let ent = find_entitlement(store, entitlement_of_grant(str_of(&grant, &["name"])))
        .map(|i| store.data.pam.entitlements[i].clone())
        .unwrap_or(Value::Null);
    let me = email(&principal);
    if str_of(&grant, &["requester"]).eq_ignore_ascii_case(me) {
        return Err(PamError::forbidden(format!(
            "You cannot {} your own grant `{name}`: a requester cannot approve or deny their own request.",
            if approve { "approve" } else { "deny" }
        )));
    }
    if !in_acl(store, approvers(&ent), &principal) {
        return Err(PamError::forbidden(format!(
            "You are not an approver of the entitlement of the grant `{name}`."
        )));
    }
    let state = str_of(&grant, &["state"]);
    if state != "APPROVAL_AWAITED" {
        return Err(PamError::failed_precondition(format!(
            "The grant `{name}` is {state}; it can be approved or denied only while APPROVAL_AWAITED."
        )));
    }
    if ent["approvalWorkflow"]["manualApprovals"]["requireApproverJustification"] == json!(true)
        && reason.trim().is_empty()
    {
        return Err(PamError::invalid("The entitlement requires approvers to give a `reason`."));
    }
    let mut actor = json!({"actor": me});
    if !reason.is_empty() {
        actor["reason"] = json!(reason);
    }
    let g = &mut store.data.pam.grants[gi].grant;
    if approve {
        push_event(g, "approved", actor, now);
        g["state"] = json!("SCHEDULED");
        push_event(g, "scheduled", json!({"scheduledActivationTime": time(now)}), now);
    } else {
        push_event(g, "denied", actor, now);
        g["state"] = json!("DENIED");
    }
    let out = g.clone();
    let (scope, _) = scope_of_name(store, name);
    let method = if approve { "ApproveGrant" } else { "DenyGrant" };
    audit(
        store,
        Some(&principal),
        &format!("{METHOD_PREFIX}{method}"),
        None,
        (str_of(&out, &["name"]), &scope),
        json!({"request": {"name": name, "reason": reason}, "response": grant_response(&out)}),
        now,
    );
    Ok(out)
}

/// `grants.revoke` (`privilegedaccessmanager.grants.revoke`): "can be called when the grant is in
/// a non-terminal state". The grant is `REVOKING` and the operation not done; at the next request
/// the bindings are removed, the grant is `REVOKED` and the operation done.
pub fn revoke_grant(
    store: &mut Store,
    caller: &Caller,
    name: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.grants.revoke";
    let (scope, _) = scope_of_name(store, name);
    if scope.is_empty() || !store.has_permission(caller, &scope, permission, now) {
        return Err(PamError::denied(permission, name));
    }
    let gi =
        grant_index(store, name).ok_or_else(|| PamError::not_found(format!("Grant `{name}` not found.")))?;
    let state = str_of(&store.data.pam.grants[gi].grant, &["state"]).to_string();
    if !OPEN.contains(&state.as_str()) {
        return Err(PamError::failed_precondition(format!(
            "The grant `{name}` is {state}, a terminal state (or already being revoked); it cannot be revoked."
        )));
    }
    let grant_name = str_of(&store.data.pam.grants[gi].grant, &["name"]).to_string();
    let loc_name = grant_name.split("/entitlements/").next().unwrap_or_default().to_string();
    let mut op = new_operation(&loc_name, &grant_name, "revoke", now);
    let who = principal_of(caller).unwrap_or_default().to_string();
    op["starter"] = json!(who);
    let mut actor = json!({"actor": email(&who)});
    if !reason.is_empty() {
        actor["reason"] = json!(reason);
    }
    let record = &mut store.data.pam.grants[gi];
    record.grant["state"] = json!("REVOKING");
    record.grant["updateTime"] = json!(time(now));
    record.revoke_actor = Some(actor);
    record.revoke_operation = Some(str_of(&op, &["name"]).to_string());
    store.data.pam.operations.push(op.clone());
    audit(
        store,
        principal_of(caller).ok(),
        &format!("{METHOD_PREFIX}RevokeGrant"),
        Some(permission),
        (&grant_name, &scope),
        json!({"request": {"name": name, "reason": reason}, "operation": lro(&op, true)}),
        now,
    );
    op.as_object_mut().map(|m| m.remove("starter"));
    Ok(op)
}

/// A grant as an audit entry's `response`: the method's answer, with its `@type`.
fn grant_response(grant: &Value) -> Value {
    let mut r = grant.clone();
    r["@type"] = json!("type.googleapis.com/google.cloud.privilegedaccessmanager.v1.Grant");
    r
}

/// The `operation` of a long-running method's audit entry: "These methods usually generate two
/// audit log entries: one when the operation starts and another when it ends"
/// (<https://cloud.google.com/iam/docs/audit-logging/audit-logging-pam>; `LogEntryOperation`:
/// `id`, `producer`, `first`, `last`).
fn lro(op: &Value, first: bool) -> Value {
    let mut o = json!({"id": str_of(op, &["name"]), "producer": PAM_SERVICE});
    o[if first { "first" } else { "last" }] = json!(true);
    o
}

/// `checkOnboardingStatus` (`privilegedaccessmanager.locations.checkOnboardingStatus`): the
/// scope's PAM service agent, and a finding when it lacks the permissions to change the
/// resource's allow policy. The emulator's PAM acts on its own authority, so it reports the
/// agent's IAM permissions as they are in the policies it serves.
pub fn check_onboarding(
    store: &Store,
    caller: &Caller,
    loc: &Location,
    now: DateTime<Utc>,
) -> PamResult<Value> {
    let permission = "privilegedaccessmanager.locations.checkOnboardingStatus";
    if !store.has_permission(caller, &loc.key, permission, now) {
        return Err(PamError::denied(permission, &loc.name()));
    }
    let agent = service_agent(store, &loc.key);
    Ok(json!({"serviceAccount": agent}))
}

// ---- the clock -------------------------------------------------------------------------------

fn grant_policy_key(store: &Store, grant: &Value) -> Option<(Kind, String)> {
    let resource = str_of(grant, &["privilegedAccess", "gcpIamAccess", "resource"]);
    scope_key(store, resource.strip_prefix("//cloudresourcemanager.googleapis.com/")?)
}

/// The bindings a grant activated at `start` writes: one per role, for the requester, with PAM's
/// condition (`request.time < timestamp("END")`, whole seconds, double quotes, title `Created by:
/// PAM`, no description), and the entitlement's own `conditionExpression` joined with `&&`.
fn grant_bindings(grant: &Value, start: DateTime<Utc>) -> (Vec<Binding>, DateTime<Utc>) {
    let nanos = parse_duration(str_of(grant, &["requestedDuration"])).unwrap_or(0);
    let secs = i64::try_from(nanos.div_euclid(1_000_000_000)).unwrap_or(0);
    let end = start + Duration::seconds(secs);
    let expr = format!("request.time < timestamp(\"{}\")", super::model::format_time(end));
    let member = format!("user:{}", str_of(grant, &["requester"]));
    let member = if member.contains(".iam.gserviceaccount.com") {
        member.replacen("user:", "serviceAccount:", 1)
    } else {
        member
    };
    let bindings = grant["privilegedAccess"]["gcpIamAccess"]["roleBindings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rb| {
            let extra = str_of(rb, &["conditionExpression"]);
            let expression = if extra.is_empty() { expr.clone() } else { format!("{expr} && ({extra})") };
            Binding {
                role: str_of(rb, &["role"]).to_string(),
                members: vec![member.clone()],
                condition: Some(Expr { expression, title: Some(PAM_TITLE.into()), ..Expr::default() }),
                ..Binding::default()
            }
        })
        .collect();
    (bindings, end)
}

/// Writes (`add`) or removes the grant's bindings on the resource's policy, as PAM's service agent:
/// a version-3 read-modify-write that leaves every other binding as it was. Returns false when
/// the removal found a binding changed outside PAM.
fn write_bindings(
    store: &mut Store,
    key: &(Kind, String),
    bindings: &[Binding],
    add: bool,
    agent: &str,
    now: DateTime<Utc>,
) -> Result<bool, String> {
    let current = store.stored(&key.1);
    let mut next: Policy = current.clone();
    let mut intact = true;
    for b in bindings {
        let pos = next.bindings.iter().position(|x| x.same_target(b));
        match (add, pos) {
            (true, Some(p)) => {
                for m in &b.members {
                    if !next.bindings[p].members.contains(m) {
                        next.bindings[p].members.push(m.clone());
                    }
                }
            }
            (true, None) => next.bindings.push(b.clone()),
            (false, Some(p)) => {
                let before = next.bindings[p].members.len();
                next.bindings[p].members.retain(|m| !b.members.contains(m));
                intact &= next.bindings[p].members.len() < before;
                if next.bindings[p].members.is_empty() {
                    next.bindings.remove(p);
                }
            }
            (false, None) => intact = false,
        }
    }
    if next.bindings == current.bindings {
        return Ok(intact);
    }
    next.version = Some(3);
    let id = key.1.split_once('/').map(|(_, id)| id.to_string()).unwrap_or_default();
    store.set_policy(&Caller::Anyone, key.0, &id, next, None, now).map_err(|e| format!("{e:?}"))?;
    // The write is the service agent's: its Admin Activity entry names it.
    if let Some(mut entry) = store.pop_log_entry() {
        entry["protoPayload"]["authenticationInfo"] = json!({"principalEmail": agent});
        store.push_log_entry(entry);
    }
    Ok(intact)
}

/// Moves every grant and operation on to `now`: see the module's documentation. Returns true when
/// anything changed.
pub fn tick(store: &mut Store, now: DateTime<Utc>) -> bool {
    let pam = &store.data.pam;
    if pam.grants.is_empty() && pam.operations.iter().all(|o| o["done"] == json!(true)) {
        return false;
    }
    let mut changed = false;
    // Operations started by an earlier request are done.
    let pending: Vec<usize> = (0..store.data.pam.operations.len())
        .filter(|i| store.data.pam.operations[*i]["done"] != json!(true))
        .collect();
    for i in pending {
        changed = true;
        let op = store.data.pam.operations[i].clone();
        let target = str_of(&op, &["metadata", "target"]).to_string();
        let verb = str_of(&op, &["metadata", "verb"]).to_string();
        let response = match verb.as_str() {
            "create" | "update" => find_entitlement(store, &target).map(|e| {
                let ent = &mut store.data.pam.entitlements[e];
                ent["state"] = json!("AVAILABLE");
                let mut r = ent.clone();
                r["@type"] = json!("type.googleapis.com/google.cloud.privilegedaccessmanager.v1.Entitlement");
                r
            }),
            "delete" => {
                if let Some(e) = find_entitlement(store, &target) {
                    store.data.pam.entitlements.remove(e);
                    let prefix = canonical_name(store, &target).map(|n| format!("{n}/grants/"));
                    let names: Vec<bool> = store
                        .data
                        .pam
                        .grants
                        .iter()
                        .map(|g| {
                            prefix.as_ref().is_some_and(|p| {
                                canonical_name(store, str_of(&g.grant, &["name"]))
                                    .is_some_and(|n| n.starts_with(p))
                            })
                        })
                        .collect();
                    let mut k = 0;
                    store.data.pam.grants.retain(|_| {
                        let keep = !names[k];
                        k += 1;
                        keep
                    });
                }
                Some(json!({"@type": "type.googleapis.com/google.protobuf.Empty"}))
            }
            "revoke" => grant_index(store, &target).map(|gi| {
                end_access(store, gi, now, "revoked");
                let mut r = store.data.pam.grants[gi].grant.clone();
                r["@type"] = json!("type.googleapis.com/google.cloud.privilegedaccessmanager.v1.Grant");
                r
            }),
            _ => None,
        };
        let op = &mut store.data.pam.operations[i];
        op["done"] = json!(true);
        op["metadata"]["endTime"] = json!(time(now));
        match response {
            Some(r) => op["response"] = r,
            None => op["error"] = json!({"code": 5, "message": format!("`{target}` no longer exists.")}),
        }
    }
    for gi in 0..store.data.pam.grants.len() {
        let state = str_of(&store.data.pam.grants[gi].grant, &["state"]).to_string();
        match state.as_str() {
            "SCHEDULED" => {
                let g = &mut store.data.pam.grants[gi].grant;
                g["state"] = json!("ACTIVATING");
                g["updateTime"] = json!(time(now));
                changed = true;
            }
            "ACTIVATING" => {
                activate(store, gi, now);
                changed = true;
            }
            "ACTIVE" if store.data.pam.grants[gi].access_ends.is_some_and(|e| e <= now) => {
                end_access(store, gi, now, "ended");
                changed = true;
            }
            "APPROVAL_AWAITED" => {
                let created =
                    DateTime::parse_from_rfc3339(str_of(&store.data.pam.grants[gi].grant, &["createTime"]))
                        .map(|t| t.with_timezone(&Utc))
                        .unwrap_or(now);
                if now >= created + Duration::hours(APPROVAL_WINDOW_HOURS) {
                    let g = &mut store.data.pam.grants[gi].grant;
                    g["state"] = json!("EXPIRED");
                    push_event(g, "expired", json!({}), now);
                    let name = str_of(g, &["name"]).to_string();
                    let (scope, _) = scope_of_name(store, &name);
                    audit(store, None, "PAMExpireGrant", None, (&name, &scope), json!({}), now);
                    changed = true;
                }
            }
            _ => {}
        }
    }
    changed
}

fn activate(store: &mut Store, gi: usize, now: DateTime<Utc>) {
    let grant = store.data.pam.grants[gi].grant.clone();
    let name = str_of(&grant, &["name"]).to_string();
    let (scope, _) = scope_of_name(store, &name);
    let agent = service_agent(store, &scope);
    let (bindings, end) = grant_bindings(&grant, now);
    let written = match grant_policy_key(store, &grant) {
        Some(key) => write_bindings(store, &key, &bindings, true, &agent, now),
        None => Err("the grant's resource no longer exists".to_string()),
    };
    let record = &mut store.data.pam.grants[gi];
    match written {
        Ok(_) => {
            record.grant["state"] = json!("ACTIVE");
            push_event(&mut record.grant, "activated", json!({}), now);
            record.grant["auditTrail"] = json!({"accessGrantTime": time(now)});
            record.access_ends = Some(end);
            record.bindings = bindings;
            audit(store, None, "PAMActivateGrant", None, (&name, &scope), json!({}), now);
        }
        Err(e) => {
            record.grant["state"] = json!("ACTIVATION_FAILED");
            push_event(
                &mut record.grant,
                "activationFailed",
                json!({"error": {"code": 9, "message": e}}),
                now,
            );
            let status = json!({"status": {"code": 9, "message": e}});
            audit(store, None, "PAMActivateGrant", None, (&name, &scope), status, now);
        }
    }
}

/// Ends a grant's access: `ended` (its duration is over) or `revoked`. Removes exactly the
/// bindings activation wrote; a binding found changed outside PAM marks the grant
/// `externallyModified` ("this flag remains set forever").
fn end_access(store: &mut Store, gi: usize, now: DateTime<Utc>, how: &str) {
    let record = store.data.pam.grants[gi].clone();
    let name = str_of(&record.grant, &["name"]).to_string();
    let (scope, _) = scope_of_name(store, &name);
    let agent = service_agent(store, &scope);
    let mut intact = true;
    if !record.bindings.is_empty()
        && let Some(key) = grant_policy_key(store, &record.grant)
    {
        intact = write_bindings(store, &key, &record.bindings, false, &agent, now).unwrap_or(false);
    }
    let was_active = record.access_ends.is_some();
    let r = &mut store.data.pam.grants[gi];
    if !intact {
        r.grant["externallyModified"] = json!(true);
        push_event(&mut r.grant, "externallyModified", json!({}), now);
    }
    let actor = r.revoke_actor.take().unwrap_or(json!({}));
    let operation = r.revoke_operation.clone().unwrap_or_default();
    let g = &mut r.grant;
    if how == "revoked" {
        g["state"] = json!("REVOKED");
        push_event(g, "revoked", actor.clone(), now);
    } else {
        g["state"] = json!("ENDED");
        push_event(g, "ended", json!({}), now);
    }
    if was_active {
        g["auditTrail"]["accessRemoveTime"] = json!(time(now));
    }
    r.revoke_operation = None;
    if how == "revoked" {
        // The revocation's second entry, when its operation ends: the same method and caller.
        let who = str_of(&actor, &["actor"]).to_string();
        let fields = json!({"operation": lro(&json!({"name": operation}), false)});
        let method = format!("{METHOD_PREFIX}RevokeGrant");
        let permission = Some("privilegedaccessmanager.grants.revoke");
        audit(
            store,
            Some(who.as_str()).filter(|w| !w.is_empty()),
            &method,
            permission,
            (&name, &scope),
            fields,
            now,
        );
    } else {
        audit(store, None, "PAMEndGrant", None, (&name, &scope), json!({}), now);
    }
}

// ---- seed ------------------------------------------------------------------------------------

/// Checks the entitlements a seed or state file brings, as `entitlements.create` would.
pub fn check_seed(store: &Store) -> Result<(), String> {
    for e in &store.data.pam.entitlements {
        let name = str_of(e, &["name"]);
        let parts: Vec<&str> = name.split('/').collect();
        let [coll, id, "locations", loc, "entitlements", eid] = parts.as_slice() else {
            return Err(format!(
                "the entitlement `{name}` is not named SCOPE/locations/global/entitlements/ID"
            ));
        };
        let loc = location(store, &format!("{coll}/{id}"), loc, "")
            .map_err(|e| format!("entitlement `{name}`: {}", e.message))?;
        if !valid_entitlement_id(eid) {
            return Err(format!("entitlement `{name}`: the ID `{eid}` is not valid"));
        }
        check_entitlement(store, &loc, e).map_err(|err| format!("entitlement `{name}`: {}", err.message))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_google_writes_them() {
        assert_eq!(parse_duration("3600s"), Some(3_600_000_000_000));
        assert_eq!(parse_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_duration("3600"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("1.0000000001s"), None);
    }

    #[test]
    fn service_agents_are_named_per_scope() {
        let store = Store::new(crate::state::demo_seed());
        assert_eq!(
            service_agent(&store, "projects/jit-demo-prod"),
            "service-100000000001@gcp-sa-pam.iam.gserviceaccount.com"
        );
        assert_eq!(
            service_agent(&store, "folders/234567890123"),
            "service-folder-234567890123@gcp-sa-pam.iam.gserviceaccount.com"
        );
        assert_eq!(
            service_agent(&store, "organizations/123456789012"),
            "service-org-123456789012@gcp-sa-pam.iam.gserviceaccount.com"
        );
    }

    #[test]
    fn entitlement_ids_follow_the_discovery_document() {
        assert!(valid_entitlement_id("prod-debug"));
        assert!(!valid_entitlement_id("abc"));
        assert!(!valid_entitlement_id("1abc"));
        assert!(!valid_entitlement_id("Prod-debug"));
        assert!(!valid_entitlement_id(&"a".repeat(64)));
    }
}

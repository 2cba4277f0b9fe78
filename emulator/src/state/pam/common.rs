//! What PAM's entitlements, grants, operations and clock share: its limits, its errors, the
//! scope of a name, the access control entries, the permission check, and the audit entries.

pub(super) use chrono::{DateTime, Duration, SecondsFormat, Utc};
pub(super) use serde_json::{Map, Value, json};

pub(super) use crate::state::model::{Binding, Expr, GrantRecord, Policy};
pub(super) use crate::state::store::{Caller, Kind, Store};

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
    pub(super) fn new(code: u16, status: &'static str, message: impl Into<String>) -> PamError {
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
    pub(super) fn already_exists(message: impl Into<String>) -> PamError {
        PamError::new(409, "ALREADY_EXISTS", message)
    }
    pub(super) fn aborted(message: impl Into<String>) -> PamError {
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
    pub(super) fn forbidden(message: impl Into<String>) -> PamError {
        PamError::new(403, "PERMISSION_DENIED", message)
    }
}

pub type PamResult<T> = Result<T, PamError>;

pub(super) fn time(t: DateTime<Utc>) -> String {
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
pub(super) fn scope_key(store: &Store, scope: &str) -> Option<(Kind, String)> {
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
pub(super) fn canonical_name(store: &Store, name: &str) -> Option<String> {
    let mut parts = name.splitn(3, '/');
    let (coll, id, rest) = (parts.next()?, parts.next()?, parts.next()?);
    let (_, key) = scope_key(store, &format!("{coll}/{id}"))?;
    Some(format!("{key}/{rest}"))
}

pub(super) fn str_of<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str().unwrap_or_default()
}

pub(super) fn principal_of(caller: &Caller) -> PamResult<&str> {
    match caller {
        Caller::Principal(p) => Ok(p),
        Caller::Anyone => Err(PamError::failed_precondition(
            "Privileged Access Manager needs the caller's identity; the emulator runs with --no-auth.",
        )),
    }
}

/// The bare e-mail of a principal (`user:bob@example.com` → `bob@example.com`), as PAM names
/// requesters and actors ("Username of the user").
pub(super) fn email(principal: &str) -> &str {
    principal.split_once(':').map_or(principal, |(_, e)| e)
}

/// True when `principal` is one of the principals of the access control entries (directly or
/// through a group).
pub(super) fn in_acl(store: &Store, entries: &Value, principal: &str) -> bool {
    entries.as_array().into_iter().flatten().any(|e| {
        e["principals"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|m| store.member_matches(m, principal))
    })
}

pub(super) fn approvers(ent: &Value) -> &Value {
    &ent["approvalWorkflow"]["manualApprovals"]["steps"][0]["approvers"]
}

pub(super) fn has_workflow(ent: &Value) -> bool {
    ent["approvalWorkflow"]["manualApprovals"].is_object()
}

/// The caller's `permission` on the scope `key` (`projects/P`, …), else PAM's 403 naming
/// `resource`: the check before every call an IAM permission guards.
pub(super) fn require(
    store: &Store,
    caller: &Caller,
    key: &str,
    permission: &str,
    resource: &str,
    now: DateTime<Utc>,
) -> PamResult<()> {
    if !key.is_empty() && store.has_permission(caller, key, permission, now) {
        Ok(())
    } else {
        Err(PamError::denied(permission, resource))
    }
}

// ---- audit -----------------------------------------------------------------------------------

pub(super) const PAM_SERVICE: &str = "privilegedaccessmanager.googleapis.com";
pub(super) const METHOD_PREFIX: &str = "google.cloud.privilegedaccessmanager.v1.PrivilegedAccessManager.";

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
pub(super) fn audit(
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

/// The `operation` of a long-running method's audit entry: "These methods usually generate two
/// audit log entries: one when the operation starts and another when it ends"
/// (<https://cloud.google.com/iam/docs/audit-logging/audit-logging-pam>; `LogEntryOperation`:
/// `id`, `producer`, `first`, `last`).
pub(super) fn lro(op: &Value, first: bool) -> Value {
    let mut o = json!({"id": str_of(op, &["name"]), "producer": PAM_SERVICE});
    o[if first { "first" } else { "last" }] = json!(true);
    o
}

// ---- operations ------------------------------------------------------------------------------

pub(super) fn new_operation(loc_name: &str, target: &str, verb: &str, now: DateTime<Utc>) -> Value {
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

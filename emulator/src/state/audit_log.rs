//! Cloud Audit Logs' Admin Activity entries, as Google writes one for every successful
//! `setIamPolicy` (issue 11 item 5). Pure: the store hands in the policy before and after the
//! write, who wrote it and when; this module builds the `LogEntry`
//! (<https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry>) whose `protoPayload` is
//! a `google.cloud.audit.AuditLog` (<https://cloud.google.com/logging/docs/reference/audit/auditlog/rest/Shared.Types/AuditLog>)
//! carrying IAM's `AuditData` with the policy delta in `serviceData`
//! (<https://cloud.google.com/logging/docs/reference/audit/iam/rest/Shared.Types/AuditData>).
//!
//! What differs per service (each row's source is in docs/emulator.md, "Audit logs"):
//!
//! | kind | serviceName | methodName | resourceName | resource.type |
//! |---|---|---|---|---|
//! | project, folder, organization | cloudresourcemanager | `SetIamPolicy` | `projects/ID`, `folders/N`, `organizations/N` | `project`, `folder`, `organization` |
//! | bucket | storage | `storage.setIamPermissions` | `projects/_/buckets/B` | `gcs_bucket` |
//! | secret | secretmanager | `google.cloud.secretmanager.v1.SecretManagerService.SetIamPolicy` | `projects/NUMBER/secrets/S` | `audited_resource` |
//! | service account | iam | `google.iam.admin.v1.SetIAMPolicy` | `projects/-/serviceAccounts/UNIQUE_ID` | `service_account` |
//! | key ring, crypto key | cloudkms | `SetIamPolicy` | the key's name | `cloudkms_keyring`, `cloudkms_cryptokey` |
//! | Cloud Run service | run | `google.cloud.run.v1.Services.SetIamPolicy` | `projects/ID/locations/L/services/S` | `cloud_run_revision` |
//!
//! Every entry lands in the Admin Activity log (`cloudaudit.googleapis.com%2Factivity`) of the
//! resource's project, or of the folder or organization itself, with severity `NOTICE`.

use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::model::{Binding, Policy};
use super::store::{Caller, Kind, Store};
use super::types::compact;

/// The log every entry goes to, below its container: `projects/P/logs/` + this.
pub const ACTIVITY_LOG: &str = "cloudaudit.googleapis.com%2Factivity";

/// One member of one binding: (role, member, condition as expression/title/description).
type Grant = (String, String, Option<(String, String, String)>);

fn grants(bindings: &[Binding]) -> Vec<Grant> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for b in bindings {
        let c = b
            .condition
            .as_ref()
            .map(|c| (c.expression.clone(), c.title().to_string(), c.description().to_string()));
        for m in &b.members {
            let g = (b.role.clone(), m.clone(), c.clone());
            if seen.insert(g.clone()) {
                out.push(g);
            }
        }
    }
    out
}

/// The `bindingDeltas` between two policies: one `REMOVE` per (role, member, condition) that is
/// gone, then one `ADD` per one that is new, each in the order of its policy. IAM's
/// `BindingDelta`: `action`, `role`, `member`, `condition` (a `google.type.Expr`)
/// (<https://cloud.google.com/logging/docs/reference/audit/iam/rest/Shared.Types/AuditData#BindingDelta>).
pub fn binding_deltas(before: &Policy, after: &Policy) -> Vec<Value> {
    let (old, new) = (grants(&before.bindings), grants(&after.bindings));
    let delta = |action: &str, (role, member, condition): &Grant| {
        let mut d = json!({"action": action, "role": role, "member": member});
        if let Some((expression, title, description)) = condition {
            let mut c = Map::new();
            c.insert("expression".into(), json!(expression));
            if !title.is_empty() {
                c.insert("title".into(), json!(title));
            }
            if !description.is_empty() {
                c.insert("description".into(), json!(description));
            }
            d["condition"] = Value::Object(c);
        }
        d
    };
    let removed = old.iter().filter(|g| !new.contains(g)).map(|g| delta("REMOVE", g));
    let added = new.iter().filter(|g| !old.contains(g)).map(|g| delta("ADD", g));
    removed.chain(added).collect()
}

/// Where an entry about the policy `key` (a canonical store key) goes and what it names.
struct Described {
    service: &'static str,
    method: &'static str,
    resource_name: String,
    resource_type: &'static str,
    labels: Map<String, Value>,
    /// `projects/ID`, `folders/N` or `organizations/N`.
    container: String,
}

fn describe(store: &Store, kind: Kind, key: &str) -> Described {
    let s: Vec<&str> = key.split('/').collect();
    let project = if s.first() == Some(&"projects") { s.get(1).copied().unwrap_or_default() } else { "" };
    let mut labels = Map::new();
    let mut label = |k: &str, v: &str| {
        labels.insert(k.into(), json!(v));
    };
    let (service, method, resource_name, resource_type, container) = match kind {
        Kind::Project => {
            label("project_id", project);
            (
                "cloudresourcemanager.googleapis.com",
                "SetIamPolicy",
                key.to_string(),
                "project",
                key.to_string(),
            )
        }
        Kind::Folder => {
            label("folder_id", s.get(1).copied().unwrap_or_default());
            (
                "cloudresourcemanager.googleapis.com",
                "SetIamPolicy",
                key.to_string(),
                "folder",
                key.to_string(),
            )
        }
        Kind::Organization => {
            label("organization_id", s.get(1).copied().unwrap_or_default());
            (
                "cloudresourcemanager.googleapis.com",
                "SetIamPolicy",
                key.to_string(),
                "organization",
                key.to_string(),
            )
        }
        Kind::Bucket => {
            let name = s.get(3).copied().unwrap_or_default();
            let bucket = store.bucket(name);
            let pid = bucket.map(|b| b.project.clone()).unwrap_or_default();
            label("project_id", &pid);
            label("bucket_name", name);
            label(
                "location",
                &bucket.and_then(|b| b.location.clone()).unwrap_or_else(|| "US".into()).to_lowercase(),
            );
            (
                "storage.googleapis.com",
                "storage.setIamPermissions",
                key.to_string(),
                "gcs_bucket",
                format!("projects/{pid}"),
            )
        }
        Kind::Secret => {
            let number = store.project(project).map(|p| p.project_number.clone()).unwrap_or_default();
            label("service", "secretmanager.googleapis.com");
            label("method", "google.cloud.secretmanager.v1.SecretManagerService.SetIamPolicy");
            label("project_id", project);
            (
                "secretmanager.googleapis.com",
                "google.cloud.secretmanager.v1.SecretManagerService.SetIamPolicy",
                format!("projects/{number}/secrets/{}", s.get(3).copied().unwrap_or_default()),
                "audited_resource",
                format!("projects/{project}"),
            )
        }
        Kind::ServiceAccount => {
            let email = s.get(3).copied().unwrap_or_default();
            let unique = store.service_account(email).map(|sa| sa.unique_id()).unwrap_or_default();
            label("project_id", project);
            label("email_id", email);
            label("unique_id", &unique);
            (
                "iam.googleapis.com",
                "google.iam.admin.v1.SetIAMPolicy",
                format!("projects/-/serviceAccounts/{unique}"),
                "service_account",
                format!("projects/{project}"),
            )
        }
        Kind::KeyRing | Kind::CryptoKey => {
            label("project_id", project);
            label("location", s.get(3).copied().unwrap_or_default());
            label("key_ring_id", s.get(5).copied().unwrap_or_default());
            let ty = if kind == Kind::CryptoKey {
                label("crypto_key_id", s.get(7).copied().unwrap_or_default());
                "cloudkms_cryptokey"
            } else {
                "cloudkms_keyring"
            };
            ("cloudkms.googleapis.com", "SetIamPolicy", key.to_string(), ty, format!("projects/{project}"))
        }
        Kind::RunService => {
            label("project_id", project);
            label("location", s.get(3).copied().unwrap_or_default());
            label("service_name", s.get(5).copied().unwrap_or_default());
            label("revision_name", "");
            label("configuration_name", "");
            (
                "run.googleapis.com",
                "google.cloud.run.v1.Services.SetIamPolicy",
                key.to_string(),
                "cloud_run_revision",
                format!("projects/{project}"),
            )
        }
    };
    Described { service, method, resource_name, resource_type, labels, container }
}

/// The Admin Activity entry of one successful `setIamPolicy` on `key` by `caller` at `now`, from
/// the policy `before` to the one `after`;
/// `sequence` makes its `insertId` unique and ordered.
pub fn set_iam_policy_entry(
    store: &Store,
    caller: &Caller,
    kind: Kind,
    key: &str,
    (before, after): (&Policy, &Policy),
    now: DateTime<Utc>,
    sequence: u64,
) -> Value {
    let permission = kind.permission("setIamPolicy");
    let d = describe(store, kind, key);
    let time = now.to_rfc3339_opts(SecondsFormat::Micros, true);
    let mut authentication = Map::new();
    if let Caller::Principal(p) = caller {
        // `principalEmail` is the bare address (`user:` and `serviceAccount:` dropped).
        let email = p.split_once(':').map_or(p.as_str(), |(_, e)| e);
        authentication.insert("principalEmail".into(), json!(email));
    }
    let deltas = binding_deltas(before, after);
    let mut policy_delta = Map::new();
    if !deltas.is_empty() {
        policy_delta.insert("bindingDeltas".into(), Value::Array(deltas));
    }
    json!({
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "status": {},
            "authenticationInfo": authentication,
            "requestMetadata": {"callerIp": "127.0.0.1"},
            "serviceName": d.service,
            "methodName": d.method,
            "authorizationInfo": [{
                "resource": d.resource_name,
                "permission": permission,
                "granted": true,
                "resourceAttributes": {},
            }],
            "resourceName": d.resource_name,
            "serviceData": {
                "@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                "policyDelta": policy_delta,
            },
        },
        "insertId": format!("emu{sequence:016}"),
        "resource": {"type": d.resource_type, "labels": d.labels},
        "timestamp": time,
        "severity": "NOTICE",
        "logName": format!("{}/logs/{ACTIVITY_LOG}", d.container),
        "receiveTimestamp": time,
    })
}

impl Store {
    /// Appends an audit-log entry written elsewhere (Privileged Access Manager's, `state::pam`).
    pub fn push_log_entry(&mut self, entry: Value) {
        self.log_json.push(compact(&entry));
        self.data.log_entries.push(entry);
        self.log_version += 1;
    }
    /// Takes back the last audit-log entry (for PAM to name its service agent on a write it made).
    pub fn pop_log_entry(&mut self) -> Option<Value> {
        self.log_json.pop();
        self.log_version += 1;
        self.data.log_entries.pop()
    }
    /// Renames the method of the last audit entry: Cloud Run's v2 API logs its writes under
    /// `google.cloud.run.v2.Services.SetIamPolicy` (issue 18 item 5), which only the route knows.
    pub fn rename_last_method(&mut self, method: &str) {
        if let Some(entry) = self.data.log_entries.last_mut() {
            entry["protoPayload"]["methodName"] = Value::String(method.to_string());
            if let Some(text) = self.log_json.last_mut() {
                *text = compact(entry);
            }
            self.log_version += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::model::Expr;

    fn binding(role: &str, members: &[&str], cond: Option<(&str, &str)>) -> Binding {
        Binding {
            role: role.into(),
            members: members.iter().map(|m| m.to_string()).collect(),
            condition: cond.map(|(e, t)| Expr {
                expression: e.into(),
                title: Some(t.into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn deltas_name_each_member_removed_then_added() {
        let before = Policy {
            bindings: vec![
                binding("roles/owner", &["user:alice@example.com"], None),
                binding(
                    "roles/logging.viewer",
                    &["user:bob@example.com"],
                    Some((
                        "request.time < timestamp(\"2030-01-01T00:00:00Z\")",
                        "jit until 2030-01-01T00:00:00Z",
                    )),
                ),
            ],
            ..Default::default()
        };
        let after = Policy {
            bindings: vec![
                binding("roles/owner", &["user:alice@example.com"], None),
                binding(
                    "roles/logging.viewer",
                    &["user:bob@example.com", "user:carol@example.com"],
                    Some((
                        "request.time < timestamp(\"2030-01-02T00:00:00Z\")",
                        "jit until 2030-01-02T00:00:00Z",
                    )),
                ),
            ],
            ..Default::default()
        };
        let d = binding_deltas(&before, &after);
        assert_eq!(
            d,
            vec![
                json!({"action": "REMOVE", "role": "roles/logging.viewer", "member": "user:bob@example.com",
                       "condition": {"expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")", "title": "jit until 2030-01-01T00:00:00Z"}}),
                json!({"action": "ADD", "role": "roles/logging.viewer", "member": "user:bob@example.com",
                       "condition": {"expression": "request.time < timestamp(\"2030-01-02T00:00:00Z\")", "title": "jit until 2030-01-02T00:00:00Z"}}),
                json!({"action": "ADD", "role": "roles/logging.viewer", "member": "user:carol@example.com",
                       "condition": {"expression": "request.time < timestamp(\"2030-01-02T00:00:00Z\")", "title": "jit until 2030-01-02T00:00:00Z"}}),
            ]
        );
        assert_eq!(binding_deltas(&after, &after), Vec::<Value>::new());
    }
}

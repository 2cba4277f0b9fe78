//! Pure: `jit history` (issue 11 item 5). Which Cloud Audit Logs to ask for a scope, with which
//! Logging query, and what each Admin Activity entry of a `setIamPolicy` says about time-bound
//! access: who granted, extended, revoked or cleaned up what, when, and why.
//!
//! Every `setIamPolicy` leaves an Admin Activity entry in the audit log of the resource's project
//! (or of the folder or organization itself), kept 400 days, whose
//! `protoPayload.serviceData.policyDelta.bindingDeltas[]` lists each (role, member, condition)
//! added or removed, and whose `protoPayload.authenticationInfo.principalEmail` names who wrote
//! (<https://cloud.google.com/logging/docs/audit>,
//! <https://cloud.google.com/logging/docs/reference/audit/iam/rest/Shared.Types/AuditData>). The
//! reason is the one the condition carries (jit's description, JIT Access's justification:
//! `source::reason`).
//!
//! How an entry reads, per (role, member) of its time-bound deltas:
//! - `ADD` alone: **granted**;
//! - `REMOVE` and `ADD` together: **extended** when the new end is later, else **shortened**;
//! - `REMOVE` alone: **cleaned up** when the binding had already ended at the entry's time,
//!   else **revoked**.
//!
//! Bindings without a time bound are not time-bound access and are left out.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::condition::{self, Window};
use crate::error::Error;
use crate::iam::{Kind, ResourceId, same_member};
use crate::kinds::{Log, Narrow, row};
use crate::policy::Expr;
use crate::source::{self, Source};

/// How long Cloud Logging keeps Admin Activity audit logs: the `_Required` bucket's 400 days
/// (<https://cloud.google.com/logging/docs/routing/overview#buckets>). An older `--since` asks for
/// what no log holds.
pub const RETENTION_DAYS: i64 = 400;

/// The default of `--since`.
pub const DEFAULT_SINCE: &str = "7d";

/// Entries asked for per page: Logging's upper limit (gcloud's `FetchLogs`: "The backend has an
/// upper limit of 1000 for page_size").
pub const PAGE_SIZE: i64 = 1000;

/// What `jit history` asks, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Entries at or after this time.
    pub since: DateTime<Utc>,
    /// Only these members (any of them); empty: everyone.
    pub members: Vec<String>,
    /// Only these roles (any of them); empty: every role.
    pub roles: Vec<String>,
}

impl Query {
    /// `--since DURATION` before `now`, within Admin Activity logs' retention.
    pub fn new(
        since: &str,
        members: Vec<String>,
        roles: Vec<String>,
        now: DateTime<Utc>,
    ) -> Result<Query, Error> {
        let d = crate::timespec::parse_duration(since)?;
        if d > Duration::days(RETENTION_DAYS) {
            return Err(Error::usage_hint(
                format!("`--since {since}` reaches past what audit logs keep"),
                format!(
                    "Cloud Logging keeps Admin Activity entries {RETENTION_DAYS} days; give at most `{RETENTION_DAYS}d`"
                ),
            ));
        }
        let since = now
            .checked_sub_signed(d)
            .ok_or_else(|| Error::usage(format!("`--since {since}` is too long")))?;
        Ok(Query { since, members, roles })
    }
}

/// A string in the Logging query language: quoted, `\` and `"` escaped.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `FIELD="A"` or `FIELD=("A" OR "B" …)`.
fn any_of(field: &str, values: &[String]) -> String {
    match values {
        [one] => format!("{field}={}", quoted(one)),
        many => format!("{field}=({})", many.iter().map(|v| quoted(v)).collect::<Vec<_>>().join(" OR ")),
    }
}

/// The service whose audit entries carry a kind's `setIamPolicy`, and the `resourceNames` item
/// (the log's container) that holds them: `projects/ID`, `folders/N` or `organizations/N`.
/// `bucket_project` is the project number of a bucket ([`Kind::Bucket`] only).
pub fn container(r: &ResourceId, bucket_project: Option<&str>) -> Result<String, Error> {
    let project_of_name = || {
        r.id.strip_prefix("projects/")
            .and_then(|rest| rest.split('/').next())
            .map(|p| format!("projects/{p}"))
    };
    let found = match row(r.kind).history.log {
        Log::Own => Some(r.name()),
        Log::BucketProject => bucket_project.map(|n| format!("projects/{n}")),
        Log::ProjectInName => project_of_name(),
        Log::ServiceAccountProject => service_account_project(&r.id).map(|p| format!("projects/{p}")),
    };
    found.ok_or_else(|| {
        Error::usage_hint(
            format!("jit cannot tell which project's audit log holds `{}`", r.name()),
            "service accounts are read from the project in their address (NAME@PROJECT.iam.gserviceaccount.com); \
             ask for that project's history with --project",
        )
    })
}

/// The project a service account's address names: `NAME@PROJECT.iam.gserviceaccount.com`,
/// `PROJECT@appspot.gserviceaccount.com`, `NUMBER-compute@developer.gserviceaccount.com`,
/// `NUMBER@cloudservices.gserviceaccount.com`, and service agents'
/// `service-NUMBER@gcp-sa-SERVICE.iam.gserviceaccount.com`
/// (<https://cloud.google.com/iam/docs/service-account-types>,
/// <https://cloud.google.com/iam/docs/service-agents>). A unique ID names no project.
fn service_account_project(email: &str) -> Option<String> {
    let (local, domain) = email.rsplit_once('@')?;
    let p = if domain.starts_with("gcp-sa-") {
        local.strip_prefix("service-")?.to_string()
    } else if domain == "cloudservices.gserviceaccount.com" {
        local.to_string()
    } else if let Some(p) = domain.strip_suffix(".iam.gserviceaccount.com") {
        p.to_string()
    } else if domain == "appspot.gserviceaccount.com" {
        local.to_string()
    } else if domain == "developer.gserviceaccount.com" {
        local.strip_suffix("-compute")?.to_string()
    } else {
        return None;
    };
    ResourceId::project_ok(&p).then_some(p)
}

/// The service (`protoPayload.serviceName`) of a kind's policy.
fn service(kind: Kind) -> &'static str {
    row(kind).host
}

/// The last segment of a resource's name with its collection: `/secrets/S`, `/services/S`.
fn own_segment(r: &ResourceId) -> String {
    format!("/{}/{}", r.collection(), r.id.rsplit('/').next().unwrap_or(&r.id))
}

/// The Logging query for `r`'s `setIamPolicy` entries in an Admin Activity log
/// since `q.since`, narrowed to `q`'s roles and members when given (a delta of any of them; the
/// entries are read again per delta). Method names differ per service (`SetIamPolicy`,
/// `google.iam.admin.v1.SetIAMPolicy`, `google.cloud.run.v1.Services.SetIamPolicy`, …; Storage's
/// is `storage.setIamPermissions`), so the method is matched with `:` (has), which compares
/// without case.
pub fn filter(r: &ResourceId, q: &Query) -> String {
    let mut parts = vec![
        // The container is `resourceNames`' business: a bucket's is named by number, while a
        // log's name carries the project's ID, so the log is matched by its own name only.
        format!("logName:{}", quoted("/logs/cloudaudit.googleapis.com%2Factivity")),
        format!("protoPayload.serviceName={}", quoted(service(r.kind))),
        match row(r.kind).history.method {
            Some(method) => format!("protoPayload.methodName={}", quoted(method)),
            None => "protoPayload.methodName:\"SetIamPolicy\"".to_string(),
        },
        format!("timestamp>={}", quoted(&condition::format_reported(q.since))),
    ];
    match row(r.kind).history.narrow {
        Narrow::ResourceType => {
            // The container's own log holds only its own Resource Manager entries.
            parts.push(format!("resource.type={}", quoted(r.collection().trim_end_matches('s'))));
        }
        Narrow::ResourceName => {
            parts.push(format!("protoPayload.resourceName={}", quoted(&r.name())));
        }
        Narrow::EmailLabel => {
            parts.push(format!("resource.labels.email_id={}", quoted(&r.id)));
        }
        Narrow::LastSegment { .. } => {
            // The service names the project by number: matched on the resource's own name here,
            // and exactly in [`is_for`].
            parts.push(format!("protoPayload.resourceName:{}", quoted(&own_segment(r))));
        }
    }
    if !q.roles.is_empty() {
        parts.push(any_of("protoPayload.serviceData.policyDelta.bindingDeltas.role", &q.roles));
    }
    if !q.members.is_empty() {
        parts.push(any_of("protoPayload.serviceData.policyDelta.bindingDeltas.member", &q.members));
    }
    parts.join(" AND ")
}

/// The parts of a `LogEntry` (<https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry>)
/// jit reads; every other field is skipped while parsing, so a page of 1,000 entries costs little
/// more than reading its bytes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LogEntry {
    pub timestamp: String,
    pub insert_id: String,
    pub proto_payload: AuditLog,
    pub resource: MonitoredResource,
}

/// `google.cloud.audit.AuditLog`, the parts jit reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuditLog {
    pub authentication_info: AuthenticationInfo,
    pub resource_name: String,
    pub service_data: ServiceData,
    /// The rest is read for Privileged Access Manager's entries (`crate::pam_log`).
    pub service_name: String,
    pub method_name: String,
    pub request: serde_json::Value,
    pub response: serde_json::Value,
    pub operation: EntryOperation,
    pub status: EntryStatus,
}

/// `LogEntryOperation`: a long-running method's entries carry `first` and `last`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EntryOperation {
    pub id: String,
    pub first: bool,
    pub last: bool,
}

/// `google.rpc.Status`: a failed action's code and message.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EntryStatus {
    pub code: i32,
    pub message: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthenticationInfo {
    pub principal_email: String,
    /// Who acted through the service account named in `principal_email`, oldest first: the
    /// person who impersonated it, then each account of a delegation chain
    /// (<https://cloud.google.com/logging/docs/reference/audit/auditlog/rest/Shared.Types/AuditLog#ServiceAccountDelegationInfo>).
    pub service_account_delegation_info: Vec<DelegationInfo>,
}

/// One `ServiceAccountDelegationInfo`: a first-party (Google) principal, or a third-party one
/// (a federated identity, whose claims are free-form).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DelegationInfo {
    pub first_party_principal: Option<FirstParty>,
    pub third_party_principal: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FirstParty {
    pub principal_email: String,
}

impl AuthenticationInfo {
    /// The principals who acted through the service account, oldest (the person) first; a
    /// third-party principal is named by its `principalSubject` or `sub` claim when it has one.
    pub fn delegation_chain(&self) -> Vec<String> {
        self.service_account_delegation_info
            .iter()
            .filter_map(|d| match (&d.first_party_principal, &d.third_party_principal) {
                (Some(f), _) if !f.principal_email.is_empty() => Some(f.principal_email.clone()),
                (_, Some(t)) => t["thirdPartyClaims"]["sub"]
                    .as_str()
                    .or_else(|| t["principalSubject"].as_str())
                    .map(str::to_string),
                _ => None,
            })
            .collect()
    }
}

/// IAM's `AuditData`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceData {
    pub policy_delta: PolicyDelta,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyDelta {
    pub binding_deltas: Vec<BindingDelta>,
}

/// One `BindingDelta`: `ADD` or `REMOVE` of one member of one (role, condition).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BindingDelta {
    pub action: String,
    pub role: String,
    pub member: String,
    pub condition: Option<Expr>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MonitoredResource {
    pub labels: ResourceLabels,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourceLabels {
    pub location: String,
}

/// Whether an entry the query returned is about `r` itself (the query narrows by substring where
/// the exact name is not known: a secret's project number, a Run service's name form).
pub fn is_for(r: &ResourceId, entry: &LogEntry) -> bool {
    let name = entry.proto_payload.resource_name.as_str();
    match row(r.kind).history.narrow {
        Narrow::LastSegment { location } => {
            // `projects/P/locations/L/…`: the resource's location is its fourth segment.
            let own = r.id.split('/').nth(3).unwrap_or_default();
            let logged = entry.resource.labels.location.as_str();
            name.ends_with(&own_segment(r)) && (!location || logged.is_empty() || logged == own)
        }
        _ => true,
    }
}

/// What happened to one member's time-bound access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Granted,
    Extended,
    Shortened,
    Revoked,
    CleanedUp,
    /// Privileged Access Manager's grant events (`crate::pam_log`).
    Requested,
    Approved,
    Denied,
    Activated,
    ActivationFailed,
    Ended,
    Expired,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Granted => "granted",
            Action::Extended => "extended",
            Action::Shortened => "shortened",
            Action::Revoked => "revoked",
            Action::CleanedUp => "cleaned up",
            Action::Requested => "requested",
            Action::Approved => "approved",
            Action::Denied => "denied",
            Action::Activated => "activated",
            Action::ActivationFailed => "activation failed",
            Action::Ended => "ended",
            Action::Expired => "expired",
        }
    }
}

/// One row of `jit history` (docs/output.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    #[serde(serialize_with = "rfc3339")]
    pub time: DateTime<Utc>,
    pub action: Action,
    pub resource: String,
    pub role: String,
    pub member: String,
    /// Who wrote the policy (`authenticationInfo.principalEmail`), when the log names them.
    pub by: Option<String>,
    /// When `by` is a service account acted through: who acted through it, the person first,
    /// then each account of a delegation chain (`serviceAccountDelegationInfo`; issue 19 item 9).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub delegation_chain: Vec<String>,
    /// The end of the access after the change (granted, extended, shortened), or of the access
    /// removed (revoked, cleaned up).
    #[serde(serialize_with = "rfc3339_opt")]
    pub expires: Option<DateTime<Utc>>,
    /// The end before the change, for extended and shortened.
    #[serde(serialize_with = "rfc3339_opt")]
    pub previous_expires: Option<DateTime<Utc>>,
    pub source: Source,
    /// Who the condition says granted it (jit's description, gimme's title).
    pub granted_by: Option<String>,
    /// Why, as the condition records it.
    pub reason: Option<String>,
    /// The log entry (`insertId`), to find it again in Cloud Logging.
    pub insert_id: String,
    /// The Privileged Access Manager grant an event of PAM's is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&condition::format_reported(*t))
}

fn rfc3339_opt<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&condition::format_reported(*t)),
        None => s.serialize_none(),
    }
}

/// One time-bound delta of an entry.
struct Delta {
    add: bool,
    role: String,
    member: String,
    condition: Expr,
    window: Window,
}

fn deltas(entry: &LogEntry) -> Vec<Delta> {
    entry
        .proto_payload
        .service_data
        .policy_delta
        .binding_deltas
        .iter()
        .filter_map(|d| {
            let add = match d.action.as_str() {
                "ADD" => true,
                "REMOVE" => false,
                _ => return None,
            };
            let condition = d.condition.clone()?;
            let window = condition::window(&condition.expression).ok()?;
            window.is_time_bound().then(|| Delta {
                add,
                role: d.role.clone(),
                member: d.member.clone(),
                condition,
                window,
            })
        })
        .collect()
}

/// The events of one entry about `resource` (its name as jit shows it), keeping `q`'s roles and
/// members; none for an entry that is not a readable audit entry.
pub fn events(resource: &str, entry: &LogEntry, q: &Query) -> Vec<Event> {
    let Some(time) = DateTime::parse_from_rfc3339(&entry.timestamp).ok().map(|t| t.with_timezone(&Utc))
    else {
        return Vec::new();
    };
    let email = &entry.proto_payload.authentication_info.principal_email;
    let by = (!email.is_empty()).then(|| email.clone());
    let chain = entry.proto_payload.authentication_info.delegation_chain();
    let insert_id = entry.insert_id.clone();
    let all = deltas(entry);
    let mut out = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for d in &all {
        if !q.roles.is_empty() && !q.roles.contains(&d.role) {
            continue;
        }
        if !q.members.is_empty() && !q.members.iter().any(|m| same_member(m, &d.member)) {
            continue;
        }
        let key = (d.role.clone(), d.member.to_lowercase());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let same = |x: &&Delta| x.role == d.role && same_member(&x.member, &d.member);
        let added: Vec<&Delta> = all.iter().filter(|x| x.add).filter(same).collect();
        let removed: Vec<&Delta> = all.iter().filter(|x| !x.add).filter(same).collect();
        let end = |x: &Delta| x.window.upper.map(|u| u.at);
        let (action, shown, previous) = match (added.last(), removed.last()) {
            (Some(a), None) => (Action::Granted, *a, None),
            (Some(a), Some(r)) => {
                // A write that leaves the access as it was (the same window, another description)
                // changes no access: it is not "extended T → T" (issue 19 item 9).
                let start = |x: &Delta| x.window.lower.map(|l| l.at);
                let action = match end(a).cmp(&end(r)) {
                    std::cmp::Ordering::Greater => Action::Extended,
                    std::cmp::Ordering::Less => Action::Shortened,
                    std::cmp::Ordering::Equal if start(a) == start(r) => continue,
                    // The same end from another start: more access when it starts earlier.
                    std::cmp::Ordering::Equal if start(a) < start(r) => Action::Extended,
                    std::cmp::Ordering::Equal => Action::Shortened,
                };
                (action, *a, end(r))
            }
            (None, Some(r)) => {
                let ended = r.window.ended_by(time);
                (if ended { Action::CleanedUp } else { Action::Revoked }, *r, None)
            }
            (None, None) => continue,
        };
        out.push(Event {
            time,
            action,
            resource: resource.to_string(),
            role: shown.role.clone(),
            member: shown.member.clone(),
            by: by.clone(),
            delegation_chain: chain.clone(),
            expires: end(shown),
            previous_expires: previous,
            source: Source::of(&shown.condition),
            granted_by: source::granted_by(&shown.condition),
            reason: source::reason(&shown.condition),
            insert_id: insert_id.clone(),
            grant: None,
        });
    }
    out
}

/// Oldest first; within one instant by log entry, resource, role and member.
pub fn sort(events: &mut [Event]) {
    events.sort_by(|a, b| {
        (a.time, &a.insert_id, &a.resource, &a.role, &a.member).cmp(&(
            b.time,
            &b.insert_id,
            &b.resource,
            &b.role,
            &b.member,
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn q() -> Query {
        Query { since: t("2026-11-18T12:00:00Z"), members: vec![], roles: vec![] }
    }

    fn delta(action: &str, member: &str, until: &str, reason: &str) -> Value {
        json!({"action": action, "role": "roles/logging.viewer", "member": member, "condition": {
            "expression": format!("request.time < timestamp(\"{until}\")"),
            "title": format!("jit until {until}"),
            "description": format!("Granted by user:alice@example.com at 2026-11-25T12:00:00Z via jit. Reason: {reason}"),
        }})
    }

    fn entry(at: &str, who: &str, deltas: Vec<Value>) -> LogEntry {
        parse(json!({"timestamp": at, "insertId": "e1", "protoPayload": {
            "authenticationInfo": {"principalEmail": who},
            "serviceData": {"policyDelta": {"bindingDeltas": deltas}}}}))
    }

    fn parse(v: Value) -> LogEntry {
        serde_json::from_value(v).unwrap()
    }

    /// Issue 19 item 9: a change made through impersonation names the person behind the service
    /// account (a chain too, in order); a repeated write with the same window is no event, not
    /// "extended T → T".
    #[test]
    fn the_person_behind_a_service_account_and_no_empty_extension() {
        let sa = "ci@p-1.iam.gserviceaccount.com";
        let mut e = parse(json!({"timestamp": "2026-11-25T12:00:00Z", "insertId": "e1", "protoPayload": {
            "authenticationInfo": {"principalEmail": sa, "serviceAccountDelegationInfo": [
                {"firstPartyPrincipal": {"principalEmail": "alice@example.com"}},
                {"firstPartyPrincipal": {"principalEmail": "deployer@p-1.iam.gserviceaccount.com"}}
            ]},
            "serviceData": {"policyDelta": {"bindingDeltas": [delta("ADD", "user:bob@example.com", "2026-11-25T13:00:00Z", "INC-1")]}}}}));
        let got = events("projects/p-1", &e, &q());
        assert_eq!(got[0].by.as_deref(), Some(sa));
        assert_eq!(got[0].delegation_chain, ["alice@example.com", "deployer@p-1.iam.gserviceaccount.com"]);
        let json = serde_json::to_value(&got[0]).unwrap();
        assert_eq!(
            json["delegationChain"],
            json!(["alice@example.com", "deployer@p-1.iam.gserviceaccount.com"])
        );
        // A federated person behind it is named by its subject.
        e.proto_payload.authentication_info.service_account_delegation_info = vec![DelegationInfo {
            first_party_principal: None,
            third_party_principal: Some(
                json!({"thirdPartyClaims": {"sub": "repo:org/app:ref:refs/heads/main"}}),
            ),
        }];
        assert_eq!(
            events("projects/p-1", &e, &q())[0].delegation_chain,
            ["repo:org/app:ref:refs/heads/main"]
        );
        // Without delegation, no chain (and the JSON has no key).
        let plain = entry(
            "2026-11-25T12:00:00Z",
            "alice@example.com",
            vec![delta("ADD", "user:bob@example.com", "2026-11-25T13:00:00Z", "INC-1")],
        );
        let got = events("projects/p-1", &plain, &q());
        assert!(got[0].delegation_chain.is_empty());
        assert!(serde_json::to_value(&got[0]).unwrap().get("delegationChain").is_none());
        // The same window written again (a new reason): no event.
        let again = entry(
            "2026-11-25T12:10:00Z",
            "alice@example.com",
            vec![
                delta("REMOVE", "user:bob@example.com", "2026-11-25T13:00:00Z", "INC-1"),
                delta("ADD", "user:bob@example.com", "2026-11-25T13:00:00Z", "INC-2"),
            ],
        );
        assert_eq!(events("projects/p-1", &again, &q()), vec![]);
    }

    #[test]
    fn filters_name_the_container_log_service_and_scope() {
        let project = ResourceId::project("jit-demo-prod").unwrap();
        let mut query = q();
        assert_eq!(
            filter(&project, &query),
            "logName:\"/logs/cloudaudit.googleapis.com%2Factivity\" AND \
             protoPayload.serviceName=\"cloudresourcemanager.googleapis.com\" AND protoPayload.methodName:\"SetIamPolicy\" AND \
             timestamp>=\"2026-11-18T12:00:00Z\" AND resource.type=\"project\""
        );
        query.roles = vec!["roles/a".into(), "roles/b".into()];
        query.members = vec!["user:x\"y@example.com".into()];
        let bucket = ResourceId::bucket("bkt-1").unwrap();
        assert_eq!(
            filter(&bucket, &query),
            "logName:\"/logs/cloudaudit.googleapis.com%2Factivity\" AND \
             protoPayload.serviceName=\"storage.googleapis.com\" AND protoPayload.methodName=\"storage.setIamPermissions\" AND \
             timestamp>=\"2026-11-18T12:00:00Z\" AND protoPayload.resourceName=\"projects/_/buckets/bkt-1\" AND \
             protoPayload.serviceData.policyDelta.bindingDeltas.role=(\"roles/a\" OR \"roles/b\") AND \
             protoPayload.serviceData.policyDelta.bindingDeltas.member=\"user:x\\\"y@example.com\""
        );
    }

    #[test]
    fn containers() {
        let sa = ResourceId::service_account("deployer@jit-demo-prod.iam.gserviceaccount.com").unwrap();
        assert_eq!(container(&sa, None).unwrap(), "projects/jit-demo-prod");
        let compute =
            ResourceId::service_account("123456789012-compute@developer.gserviceaccount.com").unwrap();
        assert_eq!(container(&compute, None).unwrap(), "projects/123456789012");
        let agent = ResourceId::service_account("service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com")
            .unwrap();
        assert_eq!(container(&agent, None).unwrap(), "projects/123456789012");
        let by_id = ResourceId::service_account("123456789012345678").unwrap();
        let e = container(&by_id, None).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            "jit cannot tell which project's audit log holds `projects/-/serviceAccounts/123456789012345678`"
        );
        let secret = ResourceId::secret("projects/p-123456/secrets/s", None).unwrap();
        assert_eq!(container(&secret, None).unwrap(), "projects/p-123456");
        assert_eq!(container(&ResourceId::bucket("bkt-1").unwrap(), Some("42")).unwrap(), "projects/42");
    }

    #[test]
    fn since_is_checked_before_anything_is_sent() {
        let now = t("2026-11-25T12:00:00Z");
        assert_eq!(Query::new("7d", vec![], vec![], now).unwrap().since, t("2026-11-18T12:00:00Z"));
        let e = Query::new("401d", vec![], vec![], now).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(e.to_string(), "`--since 401d` reaches past what audit logs keep");
        assert_eq!(Query::new("soon", vec![], vec![], now).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn each_change_reads_as_what_it_did() {
        let g = entry(
            "2026-11-25T12:00:00Z",
            "alice@example.com",
            vec![delta("ADD", "user:bob@example.com", "2026-11-25T14:00:00Z", "INC-1")],
        );
        let e = events("projects/p", &g, &q());
        assert_eq!(e.len(), 1);
        assert_eq!(
            (
                e[0].action,
                e[0].by.as_deref(),
                e[0].reason.as_deref(),
                e[0].granted_by.as_deref(),
                e[0].expires
            ),
            (
                Action::Granted,
                Some("alice@example.com"),
                Some("INC-1"),
                Some("user:alice@example.com"),
                Some(t("2026-11-25T14:00:00Z"))
            )
        );
        let x = entry(
            "2026-11-25T13:00:00Z",
            "alice@example.com",
            vec![
                delta("REMOVE", "user:bob@example.com", "2026-11-25T14:00:00Z", "INC-1"),
                delta("ADD", "user:bob@example.com", "2026-11-25T16:00:00Z", "INC-1"),
            ],
        );
        let e = events("projects/p", &x, &q());
        assert_eq!(
            (e.len(), e[0].action, e[0].expires, e[0].previous_expires),
            (1, Action::Extended, Some(t("2026-11-25T16:00:00Z")), Some(t("2026-11-25T14:00:00Z")))
        );
        let r = entry(
            "2026-11-25T13:30:00Z",
            "carol@example.com",
            vec![delta("REMOVE", "user:bob@example.com", "2026-11-25T16:00:00Z", "INC-1")],
        );
        assert_eq!(events("projects/p", &r, &q())[0].action, Action::Revoked);
        let c = entry(
            "2026-11-25T17:00:00Z",
            "cleanup@p.iam.gserviceaccount.com",
            vec![delta("REMOVE", "user:bob@example.com", "2026-11-25T16:00:00Z", "INC-1")],
        );
        assert_eq!(events("projects/p", &c, &q())[0].action, Action::CleanedUp);
        // Filters, and bindings without a time bound.
        let only_carol = Query { members: vec!["user:carol@example.com".into()], ..q() };
        assert_eq!(events("projects/p", &g, &only_carol), vec![]);
        let standing = entry(
            "2026-11-25T12:00:00Z",
            "a@example.com",
            vec![json!({"action": "ADD", "role": "roles/owner", "member": "user:x@example.com"})],
        );
        assert_eq!(events("projects/p", &standing, &q()), vec![]);
        assert_eq!(events("projects/p", &parse(json!({"no": "timestamp"})), &q()), vec![]);
    }
}

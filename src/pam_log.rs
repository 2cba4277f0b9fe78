//! Pure: Privileged Access Manager's audit entries as `jit history` events (issue 21 item 3): a
//! grant's request, approval, denial, activation, end, expiry and revocation, beside the
//! `setIamPolicy` entries of the bindings PAM's service agent writes (which `crate::history` reads
//! as for any tool, with source `pam`).
//!
//! The method names are those of PAM's audit logging page
//! (<https://cloud.google.com/iam/docs/audit-logging/audit-logging-pam>): Admin Activity
//! `google.cloud.privilegedaccessmanager.v1.PrivilegedAccessManager.{CreateGrant,ApproveGrant,
//! DenyGrant,RevokeGrant}` (the caller's), and the System Event entries `PAMActivateGrant`,
//! `PAMEndGrant` and `PAMExpireGrant` (PAM's own, no principal). `RevokeGrant` is a long-running
//! method: its two entries (the operation's `first` and `last`) are one revocation.
//!
//! Each entry names the grant (`resourceName`); the requester, roles and justification are read
//! from the entries that carry the grant (`response`, and the request's own `CreateGrant` entry)
//! and shared by every entry of the same grant in the window read. An entry whose grant's request
//! is older than the window shows no role or member.

use std::collections::BTreeMap;

use chrono::Duration;
use serde_json::Value;

use crate::condition;
use crate::history::{Action, Event, LogEntry, Query};
use crate::iam::same_member;
use crate::source::Source;

/// PAM's service name in audit entries.
pub const SERVICE: &str = "privilegedaccessmanager.googleapis.com";

/// The methods read, matched with `:` on their last part (v1, v1beta and v1alpha alike).
const METHODS: [&str; 7] = [
    "PrivilegedAccessManager.CreateGrant",
    "PrivilegedAccessManager.ApproveGrant",
    "PrivilegedAccessManager.DenyGrant",
    "PrivilegedAccessManager.RevokeGrant",
    "PAMActivateGrant",
    "PAMEndGrant",
    "PAMExpireGrant",
];

/// The Logging query for PAM's grant entries since `q.since` (Admin Activity and System Event
/// logs alike; the log read is the scope's own).
pub fn filter(q: &Query) -> String {
    let methods = METHODS.iter().map(|m| format!("\"{m}\"")).collect::<Vec<_>>().join(" OR ");
    format!(
        "protoPayload.serviceName=\"{SERVICE}\" AND protoPayload.methodName:({methods}) AND timestamp>=\"{}\"",
        condition::format_reported(q.since)
    )
}

/// `iam` (the `setIamPolicy` query of a project, folder or organization) or PAM's entries.
pub fn or_pam(iam: &str, q: &Query) -> String {
    format!("({iam}) OR ({})", filter(q))
}

/// What the entries of one grant say of it.
#[derive(Default)]
struct Facts {
    requester: String,
    roles: Vec<String>,
    justification: String,
    duration: Option<Duration>,
}

fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter().fold(v, |v, k| &v[*k]).as_str().unwrap_or_default()
}

/// The action of a PAM entry; `None` for any other entry, and for a revocation's closing entry.
fn action(entry: &LogEntry) -> Option<Action> {
    let p = &entry.proto_payload;
    if p.service_name != SERVICE {
        return None;
    }
    let method = p.method_name.rsplit('.').next().unwrap_or_default();
    Some(match method {
        "CreateGrant" => Action::Requested,
        "ApproveGrant" => Action::Approved,
        "DenyGrant" => Action::Denied,
        "RevokeGrant" if p.operation.last && !p.operation.first => return None,
        "RevokeGrant" => Action::Revoked,
        "PAMActivateGrant" if p.status.code != 0 => Action::ActivationFailed,
        "PAMActivateGrant" => Action::Activated,
        "PAMEndGrant" => Action::Ended,
        "PAMExpireGrant" => Action::Expired,
        _ => return None,
    })
}

/// The events of PAM's entries among `entries` (a scope's, `resource` as jit shows it), keeping
/// `q`'s roles and members.
pub fn events(resource: &str, entries: &[LogEntry], q: &Query) -> Vec<Event> {
    let pam: Vec<(&LogEntry, Action)> = entries.iter().filter_map(|e| Some((e, action(e)?))).collect();
    let mut facts: BTreeMap<&str, Facts> = BTreeMap::new();
    for (e, action) in &pam {
        let p = &e.proto_payload;
        let f = facts.entry(p.resource_name.as_str()).or_default();
        for grant in [&p.response, &p.request["grant"]] {
            if f.requester.is_empty() {
                f.requester = text(grant, &["requester"]).to_string();
            }
            if f.roles.is_empty() {
                f.roles = grant["privilegedAccess"]["gcpIamAccess"]["roleBindings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|b| text(b, &["role"]).to_string())
                    .filter(|r| !r.is_empty())
                    .collect();
            }
            if f.justification.is_empty() {
                f.justification = text(grant, &["justification", "unstructuredJustification"]).to_string();
            }
            if f.duration.is_none() {
                f.duration = crate::gcp::pam::parse_duration(text(grant, &["requestedDuration"]));
            }
        }
        if *action == Action::Requested && f.requester.is_empty() {
            f.requester = p.authentication_info.principal_email.clone();
        }
    }
    let mut out = Vec::new();
    for (e, action) in pam {
        let Some(time) = condition::parse_timestamp(&e.timestamp) else { continue };
        let p = &e.proto_payload;
        let f = &facts[p.resource_name.as_str()];
        let member = if f.requester.is_empty() { String::new() } else { crate::pam::member(&f.requester) };
        if !q.members.is_empty() && !q.members.iter().any(|m| same_member(m, &member)) {
            continue;
        }
        let reason = match action {
            Action::Approved | Action::Denied | Action::Revoked => text(&p.request, &["reason"]),
            _ => f.justification.as_str(),
        };
        let expires = match action {
            Action::Activated => f.duration.and_then(|d| time.checked_add_signed(d)),
            _ => None,
        };
        let roles: Vec<&str> =
            if f.roles.is_empty() { vec![""] } else { f.roles.iter().map(String::as_str).collect() };
        for role in roles {
            if !q.roles.is_empty() && !q.roles.iter().any(|r| r == role) {
                continue;
            }
            let by = &p.authentication_info.principal_email;
            out.push(Event {
                time,
                action,
                resource: resource.to_string(),
                role: role.to_string(),
                member: member.clone(),
                by: (!by.is_empty()).then(|| by.clone()),
                expires,
                previous_expires: None,
                source: Source::Pam,
                granted_by: None,
                reason: (!reason.is_empty()).then(|| reason.to_string()),
                insert_id: e.insert_id.clone(),
                grant: Some(p.resource_name.clone()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        condition::parse_timestamp(s).unwrap()
    }

    const G: &str = "projects/p/locations/global/entitlements/e/grants/g1";
    const PREFIX: &str = "google.cloud.privilegedaccessmanager.v1.PrivilegedAccessManager.";

    fn entry(time: &str, method: &str, who: &str, fields: Value) -> LogEntry {
        let mut payload = json!({
            "serviceName": SERVICE, "methodName": method, "resourceName": G,
            "authenticationInfo": if who.is_empty() { json!({}) } else { json!({"principalEmail": who}) },
        });
        for (k, v) in fields.as_object().unwrap() {
            payload[k] = v.clone();
        }
        serde_json::from_value(json!({"timestamp": time, "insertId": time, "protoPayload": payload})).unwrap()
    }

    fn grant() -> Value {
        json!({"name": G, "requester": "bob@example.com", "requestedDuration": "7200s",
               "justification": {"unstructuredJustification": "INC-42"},
               "privilegedAccess": {"gcpIamAccess": {"roleBindings": [{"role": "roles/logging.viewer"}, {"role": "roles/cloudsql.client"}]}}})
    }

    fn q(roles: &[&str], members: &[&str]) -> Query {
        Query {
            since: at("2026-01-01T00:00:00Z"),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            members: members.iter().map(|m| m.to_string()).collect(),
        }
    }

    fn life() -> Vec<LogEntry> {
        vec![
            entry("2026-01-05T10:00:00Z", &format!("{PREFIX}CreateGrant"), "bob@example.com",
                json!({"request": {"parent": "e", "grant": {"justification": {"unstructuredJustification": "INC-42"}}}, "response": grant()})),
            entry("2026-01-05T10:05:00Z", &format!("{PREFIX}ApproveGrant"), "alice@example.com",
                json!({"request": {"name": G, "reason": "go"}, "response": grant()})),
            entry("2026-01-05T10:05:01Z", "PAMActivateGrant", "", json!({})),
            entry("2026-01-05T11:00:00Z", &format!("{PREFIX}RevokeGrant"), "alice@example.com",
                json!({"request": {"name": G, "reason": "done"}, "operation": {"id": "op", "first": true}})),
            entry("2026-01-05T11:00:02Z", &format!("{PREFIX}RevokeGrant"), "alice@example.com",
                json!({"operation": {"id": "op", "last": true}})),
            // Not PAM's: left to crate::history.
            serde_json::from_value(json!({"timestamp": "2026-01-05T10:05:01Z", "protoPayload": {"serviceName": "cloudresourcemanager.googleapis.com", "methodName": "SetIamPolicy"}})).unwrap(),
        ]
    }

    #[test]
    fn a_grants_life_reads_as_requested_approved_activated_revoked() {
        let events = events("projects/p", &life(), &q(&["roles/logging.viewer"], &[]));
        let got: Vec<(&str, &str, Option<&str>, Option<&str>)> = events
            .iter()
            .map(|e| (e.action.as_str(), e.member.as_str(), e.by.as_deref(), e.reason.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("requested", "user:bob@example.com", Some("bob@example.com"), Some("INC-42")),
                ("approved", "user:bob@example.com", Some("alice@example.com"), Some("go")),
                ("activated", "user:bob@example.com", None, Some("INC-42")),
                ("revoked", "user:bob@example.com", Some("alice@example.com"), Some("done")),
            ]
        );
        assert!(events.iter().all(|e| e.role == "roles/logging.viewer" && e.source == Source::Pam));
        assert!(events.iter().all(|e| e.grant.as_deref() == Some(G)));
        // The activation says when the access ends: its time plus the requested duration.
        assert_eq!(events[2].expires, Some(at("2026-01-05T12:05:01Z")));
        // Every role of the grant, without --role.
        assert_eq!(super::events("projects/p", &life(), &q(&[], &[])).len(), 8);
        // --member keeps only the requester's.
        assert!(super::events("projects/p", &life(), &q(&[], &["user:carol@example.com"])).is_empty());
        assert_eq!(super::events("projects/p", &life(), &q(&[], &["user:bob@example.com"])).len(), 8);
    }

    #[test]
    fn an_activation_that_failed_and_a_grant_requested_before_the_window() {
        let failed = entry(
            "2026-01-05T10:05:01Z",
            "PAMActivateGrant",
            "",
            json!({"status": {"code": 9, "message": "x"}}),
        );
        let events = events("projects/p", &[failed], &q(&[], &[]));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].action, Action::ActivationFailed);
        // Nothing in the window says whose grant it was.
        assert_eq!((events[0].role.as_str(), events[0].member.as_str()), ("", ""));
    }

    #[test]
    fn the_query_asks_for_pams_methods_beside_the_iam_query() {
        let f = or_pam("A AND B", &q(&[], &[]));
        assert!(
            f.starts_with(
                "(A AND B) OR (protoPayload.serviceName=\"privilegedaccessmanager.googleapis.com\""
            ),
            "{f}"
        );
        assert!(f.contains("\"PAMActivateGrant\" OR \"PAMEndGrant\""), "{f}");
        assert!(f.ends_with("timestamp>=\"2026-01-01T00:00:00Z\")"), "{f}");
    }
}

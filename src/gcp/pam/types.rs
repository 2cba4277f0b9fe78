//! The types of Privileged Access Manager's v1 discovery document, with exactly its fields (an
//! output-only field is never sent back: [`Entitlement::for_write`]), and its google-duration
//! strings.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An empty message (`NotMandatory`, `Unstructured`, `Activated`, …): `{}` on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// `AccessControlEntry`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessControlEntry {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub principals: Vec<String>,
}

/// `AdditionalNotificationTargets`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AdditionalNotificationTargets {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub admin_email_recipients: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requester_email_recipients: Vec<String>,
}

/// `ApprovalWorkflow`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApprovalWorkflow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual_approvals: Option<ManualApprovals>,
}

/// `ManualApprovals`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ManualApprovals {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub require_approver_justification: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
}

/// `Step`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Step {
    #[serde(skip_serializing_if = "is_zero")]
    pub approvals_needed: i32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approver_email_recipients: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<AccessControlEntry>,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// `PrivilegedAccess`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PrivilegedAccess {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gcp_iam_access: Option<GcpIamAccess>,
}

/// `GcpIamAccess`: `resource` is a full resource name
/// (`//cloudresourcemanager.googleapis.com/projects/P`), `resourceType` its asset type
/// (`cloudresourcemanager.googleapis.com/Project`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GcpIamAccess {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_type: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub role_bindings: Vec<RoleBinding>,
}

/// `RoleBinding`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleBinding {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub condition_expression: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub role: String,
}

/// `RequesterJustificationConfig`: one of the two set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RequesterJustificationConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_mandatory: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unstructured: Option<Empty>,
}

/// `Entitlement`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Entitlement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_notification_targets: Option<AdditionalNotificationTargets>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_workflow: Option<ApprovalWorkflow>,
    /// Output only.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub create_time: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eligible_users: Vec<AccessControlEntry>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub etag: String,
    /// A google-duration string: `14400s`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub max_request_duration: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privileged_access: Option<PrivilegedAccess>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester_justification_config: Option<RequesterJustificationConfig>,
    /// Output only: `CREATING`, `AVAILABLE`, `DELETING`, `DELETED`, `UPDATING`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub state: String,
    /// Output only.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub update_time: String,
}

impl Entitlement {
    /// The entitlement's ID, the last segment of its name.
    pub fn id(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    /// The roles it grants.
    pub fn roles(&self) -> Vec<&str> {
        self.iam_access()
            .map(|a| a.role_bindings.iter().map(|b| b.role.as_str()).collect())
            .unwrap_or_default()
    }

    pub fn iam_access(&self) -> Option<&GcpIamAccess> {
        self.privileged_access.as_ref().and_then(|p| p.gcp_iam_access.as_ref())
    }

    /// Who may request.
    pub fn requesters(&self) -> Vec<&str> {
        self.eligible_users.iter().flat_map(|e| e.principals.iter().map(String::as_str)).collect()
    }

    /// Who may approve; empty when no approval is needed.
    pub fn approvers(&self) -> Vec<&str> {
        self.approval_workflow
            .as_ref()
            .and_then(|w| w.manual_approvals.as_ref())
            .map(|m| {
                m.steps
                    .iter()
                    .flat_map(|s| s.approvers.iter().flat_map(|a| a.principals.iter().map(String::as_str)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether a grant needs an approval.
    pub fn needs_approval(&self) -> bool {
        self.approval_workflow
            .as_ref()
            .and_then(|w| w.manual_approvals.as_ref())
            .is_some_and(|m| !m.steps.is_empty())
    }

    /// Whether a grant needs a justification (`requesterJustificationConfig.unstructured`).
    pub fn requires_reason(&self) -> bool {
        self.requester_justification_config.as_ref().is_some_and(|c| c.unstructured.is_some())
    }

    /// `maxRequestDuration`, parsed.
    pub fn max_duration(&self) -> Option<chrono::Duration> {
        parse_duration(&self.max_request_duration)
    }

    /// A copy without the output-only fields, for a create or a patch.
    pub fn for_write(&self) -> Entitlement {
        Entitlement {
            create_time: String::new(),
            state: String::new(),
            update_time: String::new(),
            ..self.clone()
        }
    }
}

/// `Justification`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Justification {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unstructured_justification: String,
}

/// `AuditTrail`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuditTrail {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub access_grant_time: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub access_remove_time: String,
}

/// `Approved`, `Denied`, `Revoked`: who, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Actor {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub actor: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// `Requested`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Requested {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub expire_time: String,
}

/// `Scheduled`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Scheduled {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scheduled_activation_time: String,
}

/// `ActivationFailed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ActivationFailed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Status>,
}

/// `Event`: one of its members set, and when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Event {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activated: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation_failed: Option<ActivationFailed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved: Option<Actor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied: Option<Actor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<Empty>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub event_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub externally_modified: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested: Option<Requested>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Actor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<Scheduled>,
}

/// `Timeline`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Timeline {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
}

/// `Grant`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Grant {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_email_recipients: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_trail: Option<AuditTrail>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub create_time: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub externally_modified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<Justification>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privileged_access: Option<PrivilegedAccess>,
    /// A google-duration string: `7200s`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub requested_duration: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub requester: String,
    /// `APPROVAL_AWAITED`, `DENIED`, `SCHEDULED`, `ACTIVATING`, `ACTIVE`, `ACTIVATION_FAILED`,
    /// `EXPIRED`, `REVOKING`, `REVOKED`, `ENDED`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub update_time: String,
}

impl Grant {
    /// The grant's own ID, the last segment of its name.
    pub fn id(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    /// The entitlement's name, the grant's name without `/grants/ID`.
    pub fn entitlement(&self) -> &str {
        self.name.rsplit_once("/grants/").map_or(self.name.as_str(), |(e, _)| e)
    }

    pub fn roles(&self) -> Vec<&str> {
        self.iam_access()
            .map(|a| a.role_bindings.iter().map(|b| b.role.as_str()).collect())
            .unwrap_or_default()
    }

    pub fn iam_access(&self) -> Option<&GcpIamAccess> {
        self.privileged_access.as_ref().and_then(|p| p.gcp_iam_access.as_ref())
    }

    pub fn reason(&self) -> &str {
        self.justification.as_ref().map_or("", |j| j.unstructured_justification.as_str())
    }

    pub fn events(&self) -> &[Event] {
        self.timeline.as_ref().map_or(&[], |t| t.events.as_slice())
    }

    /// Who approved it, from its timeline.
    pub fn approver(&self) -> Option<&Actor> {
        self.events().iter().find_map(|e| e.approved.as_ref())
    }

    /// Who denied it, from its timeline.
    pub fn denier(&self) -> Option<&Actor> {
        self.events().iter().find_map(|e| e.denied.as_ref())
    }

    /// `requestedDuration`, parsed.
    pub fn duration(&self) -> Option<chrono::Duration> {
        parse_duration(&self.requested_duration)
    }

    /// When the access ends (PAM's activation time plus the requested duration), if it started.
    pub fn ends(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let start = self
            .audit_trail
            .as_ref()
            .and_then(|a| crate::condition::parse_timestamp(&a.access_grant_time))?;
        Some(start + self.duration()?)
    }
}

/// `Status`, the error of an operation or of an activation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Status {
    pub code: i32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Value>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// `Operation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Operation {
    pub done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct EntitlementsPage {
    pub(super) entitlements: Vec<Entitlement>,
    pub(super) next_page_token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct GrantsPage {
    pub(super) grants: Vec<Grant>,
    pub(super) next_page_token: String,
}

/// `callerAccessType` of `entitlements:search`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessType {
    Requester,
    Approver,
}

impl AccessType {
    pub(super) fn wire(self) -> &'static str {
        match self {
            AccessType::Requester => "GRANT_REQUESTER",
            AccessType::Approver => "GRANT_APPROVER",
        }
    }
}

/// `callerRelationship` of `grants:search`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relationship {
    /// `HAD_CREATED`: the caller's own requests.
    Mine,
    /// `CAN_APPROVE`: awaiting the caller's approval.
    ToApprove,
    /// `HAD_APPROVED`: approved by the caller.
    Approved,
}

impl Relationship {
    pub fn wire(self) -> &'static str {
        match self {
            Relationship::Mine => "HAD_CREATED",
            Relationship::ToApprove => "CAN_APPROVE",
            Relationship::Approved => "HAD_APPROVED",
        }
    }
}

/// A google-duration string (`7200s`, `1.5s`) as a duration.
pub fn parse_duration(s: &str) -> Option<chrono::Duration> {
    let secs = s.strip_suffix('s')?;
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, ""));
    let whole: i64 = whole.parse().ok()?;
    let nanos: i64 = if frac.is_empty() {
        0
    } else {
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        format!("{frac:0<9}").parse().ok()?
    };
    Some(chrono::Duration::seconds(whole) + chrono::Duration::nanoseconds(nanos))
}

/// A duration as a google-duration string of whole seconds.
pub fn format_duration(d: chrono::Duration) -> String {
    format!("{}s", d.num_seconds())
}

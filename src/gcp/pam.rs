//! jit's own client for Privileged Access Manager v1 (PAM), over jit's one reqwest client
//! ([`super::client::Clients::call`]): entitlements (search, list, get, create, patch, delete),
//! grants (create, get, search, approve, deny, revoke), long-running operations polled to their
//! end within a bound, and the caller's own `testIamPermissions` for "is the access effective
//! yet".
//!
//! Every path, field and enum value is PAM's discovery document's, as gcloud's generated client
//! carries it (`lib/googlecloudsdk/generated_clients/apis/privilegedaccessmanager/v1/` in the
//! gcloud install: `privilegedaccessmanager_v1_messages.py` for the types,
//! `privilegedaccessmanager_v1_client.py` for the paths): `v1/{+parent}/entitlements:search`,
//! `v1/{+parent}/grants:search`, `v1/{+name}:approve`, … Only `locations/global` is used: PAM's
//! entitlements for IAM access live there.
//!
//! The types below hold exactly the document's fields, no others; an output-only field is never
//! sent back (the [`Entitlement::for_write`] copy drops them).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Gcp;
use super::client::Service;
use super::errors::{Call, Context};
use crate::error::Error;
use crate::iam::{Kind, ResourceId};

/// PAM's location for IAM entitlements.
pub const LOCATION: &str = "global";

/// How long a long-running operation may take before jit stops waiting for it (the operation
/// goes on at Google; the message says so).
pub const OPERATION_BOUND: Duration = Duration::from_secs(300);

/// `{scope}/locations/global`, the parent of a scope's entitlements.
pub fn parent(scope: &ResourceId) -> String {
    format!("{}/locations/{LOCATION}", scope.name())
}

// ---- the types of the discovery document -----------------------------------------------------

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
struct EntitlementsPage {
    entitlements: Vec<Entitlement>,
    next_page_token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct GrantsPage {
    grants: Vec<Grant>,
    next_page_token: String,
}

/// `callerAccessType` of `entitlements:search`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessType {
    Requester,
    Approver,
}

impl AccessType {
    fn wire(self) -> &'static str {
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

// ---- the calls ---------------------------------------------------------------------------------

/// The permissions PAM's calls need on the scope (<https://cloud.google.com/iam/docs/pam-permissions-and-setup>).
/// The calls a requester or an approver makes (search, create a grant, approve, deny) need none:
/// PAM decides from the entitlement's eligible users and approvers, and its 403 then means "not
/// eligible" or "not an approver", which [`why`] says.
mod permission {
    pub const ENTITLEMENTS_LIST: &str = "privilegedaccessmanager.entitlements.list";
    pub const ENTITLEMENTS_GET: &str = "privilegedaccessmanager.entitlements.get";
    pub const ENTITLEMENTS_CREATE: &str = "privilegedaccessmanager.entitlements.create";
    pub const ENTITLEMENTS_UPDATE: &str = "privilegedaccessmanager.entitlements.update";
    pub const ENTITLEMENTS_DELETE: &str = "privilegedaccessmanager.entitlements.delete";
    pub const GRANTS_GET: &str = "privilegedaccessmanager.grants.get";
    pub const GRANTS_LIST: &str = "privilegedaccessmanager.grants.list";
    pub const GRANTS_REVOKE: &str = "privilegedaccessmanager.grants.revoke";
    pub const OPERATIONS_GET: &str = "privilegedaccessmanager.operations.get";
    /// No IAM permission: the entitlement decides.
    pub const ELIGIBILITY: &str = "";
}

impl Gcp {
    fn pam_cx<'a>(
        &'a self,
        resource: &'a str,
        kind: Kind,
        verb: &'static str,
        permission: &'static str,
    ) -> Context<'a> {
        Context {
            resource,
            kind,
            call: Call::Pam { verb, permission },
            endpoint: self.inner.clients.shown_of(Service::Pam),
            credentials: &self.inner.clients.credentials,
        }
    }

    fn pam_op<'a>(&'a self, resource: &'a str, verb: &'a str) -> super::Op<'a> {
        super::Op { resource, verb, endpoint: self.inner.clients.shown_of(Service::Pam) }
    }

    /// One PAM call, its answer parsed as `T`; retried on 429/5xx and dropped connections within
    /// the budget when `retry` (reads, and writes that carry a `requestId`).
    #[allow(clippy::too_many_arguments)]
    async fn pam_call<T: for<'de> Deserialize<'de>>(
        &self,
        retry: bool,
        cx: &Context<'_>,
        method: reqwest::Method,
        path: String,
        query: Vec<(&str, &str)>,
        body: Option<Value>,
        what: &str,
    ) -> crate::Result<T> {
        let once = || async {
            let answer = self
                .inner
                .clients
                .call(Service::Pam, method.clone(), path.clone(), query.clone(), body.clone(), cx)
                .await?;
            serde_json::from_slice::<T>(&answer).map_err(|e| super::errors::not_an_answer(&e, cx, what))
        };
        let op = self.pam_op(cx.resource, cx.call.verb());
        if retry {
            self.retrying(op, once).await
        } else {
            super::within(self.inner.budget.max_elapsed, op, once()).await
        }
    }

    /// Every page of a PAM list or search.
    async fn pam_pages<T, P>(
        &self,
        cx: &Context<'_>,
        path: String,
        query: Vec<(&str, &str)>,
        split: impl Fn(P) -> (Vec<T>, String),
    ) -> crate::Result<Vec<T>>
    where
        P: for<'de> Deserialize<'de>,
    {
        let mut all = Vec::new();
        let mut token = String::new();
        for _ in 0..1000 {
            let mut q = query.clone();
            q.push(("pageSize", "1000"));
            if !token.is_empty() {
                q.push(("pageToken", token.as_str()));
            }
            let page: P = self
                .pam_call(true, cx, reqwest::Method::GET, path.clone(), q, None, "a page of the list")
                .await?;
            let (items, next) = split(page);
            all.extend(items);
            if next.is_empty() {
                return Ok(all);
            }
            token = next;
        }
        Err(Error::Api {
            resource: cx.resource.to_string(),
            status: None,
            message: format!("{} gave more than 1,000 pages", cx.call.verb()),
        })
    }

    /// `entitlements:search`: the entitlements on `scope` the caller may request (or approve).
    pub async fn search_entitlements(
        &self,
        scope: &ResourceId,
        access: AccessType,
    ) -> crate::Result<Vec<Entitlement>> {
        let parent = parent(scope);
        let cx = self.pam_cx(&parent, scope.kind, "entitlements.search", permission::ELIGIBILITY);
        self.pam_pages(
            &cx,
            format!("v1/{parent}/entitlements:search"),
            vec![("callerAccessType", access.wire())],
            |p: EntitlementsPage| (p.entitlements, p.next_page_token),
        )
        .await
    }

    /// `entitlements.list`: every entitlement on `scope` (an administrator's view).
    pub async fn list_entitlements(&self, scope: &ResourceId) -> crate::Result<Vec<Entitlement>> {
        let parent = parent(scope);
        let cx = self.pam_cx(&parent, scope.kind, "entitlements.list", permission::ENTITLEMENTS_LIST);
        self.pam_pages(&cx, format!("v1/{parent}/entitlements"), Vec::new(), |p: EntitlementsPage| {
            (p.entitlements, p.next_page_token)
        })
        .await
    }

    /// `entitlements.get`.
    pub async fn get_entitlement(&self, name: &str) -> crate::Result<Entitlement> {
        let cx = self.pam_cx(name, kind_of(name), "entitlements.get", permission::ENTITLEMENTS_GET);
        self.pam_call(
            true,
            &cx,
            reqwest::Method::GET,
            format!("v1/{name}"),
            Vec::new(),
            None,
            "an entitlement",
        )
        .await
    }

    /// `entitlements.create` with `entitlementId`, its operation followed to the end: the
    /// entitlement as created.
    pub async fn create_entitlement(
        &self,
        scope: &ResourceId,
        id: &str,
        e: &Entitlement,
    ) -> crate::Result<Entitlement> {
        let parent = parent(scope);
        let cx = self.pam_cx(&parent, scope.kind, "entitlements.create", permission::ENTITLEMENTS_CREATE);
        let request_id = request_id();
        let body = serde_json::to_value(e.for_write()).map_err(|e| Error::io(e.to_string()))?;
        let op: Operation = self
            .pam_call(
                true,
                &cx,
                reqwest::Method::POST,
                format!("v1/{parent}/entitlements"),
                vec![("entitlementId", id), ("requestId", request_id.as_str())],
                Some(body),
                "an operation",
            )
            .await?;
        let done = self.wait_operation(op, &cx).await?;
        response_as(&done, &cx, "an entitlement")
    }

    /// `entitlements.patch` of the fields in `mask` (e.g. `eligibleUsers,maxRequestDuration`),
    /// guarded by the entitlement's etag; its operation followed to the end.
    pub async fn update_entitlement(&self, e: &Entitlement, mask: &str) -> crate::Result<Entitlement> {
        let name = e.name.clone();
        let cx = self.pam_cx(&name, kind_of(&name), "entitlements.patch", permission::ENTITLEMENTS_UPDATE);
        let body = serde_json::to_value(e.for_write()).map_err(|e| Error::io(e.to_string()))?;
        let op: Operation = self
            .pam_call(
                false,
                &cx,
                reqwest::Method::PATCH,
                format!("v1/{name}"),
                vec![("updateMask", mask)],
                Some(body),
                "an operation",
            )
            .await?;
        let done = self.wait_operation(op, &cx).await?;
        response_as(&done, &cx, "an entitlement")
    }

    /// `entitlements.delete` (never `force`: an entitlement with grants is left to its
    /// administrator); its operation followed to the end.
    pub async fn delete_entitlement(&self, name: &str) -> crate::Result<()> {
        let cx = self.pam_cx(name, kind_of(name), "entitlements.delete", permission::ENTITLEMENTS_DELETE);
        let request_id = request_id();
        let op: Operation = self
            .pam_call(
                true,
                &cx,
                reqwest::Method::DELETE,
                format!("v1/{name}"),
                vec![("requestId", request_id.as_str())],
                None,
                "an operation",
            )
            .await?;
        self.wait_operation(op, &cx).await.map(|_| ())
    }

    /// `grants.create` on `entitlement` (a `requestId` makes a repeated call safe).
    pub async fn create_grant(
        &self,
        entitlement: &str,
        duration: chrono::Duration,
        reason: Option<&str>,
        notify: &[String],
    ) -> crate::Result<Grant> {
        let cx = self.pam_cx(entitlement, kind_of(entitlement), "grants.create", permission::ELIGIBILITY);
        let grant = Grant {
            requested_duration: format_duration(duration),
            justification: reason.map(|r| Justification { unstructured_justification: r.to_string() }),
            additional_email_recipients: notify.to_vec(),
            ..Default::default()
        };
        let request_id = request_id();
        self.pam_call(
            true,
            &cx,
            reqwest::Method::POST,
            format!("v1/{entitlement}/grants"),
            vec![("requestId", request_id.as_str())],
            Some(json!(grant)),
            "a grant",
        )
        .await
    }

    /// `grants.get`.
    pub async fn get_grant(&self, name: &str) -> crate::Result<Grant> {
        let cx = self.pam_cx(name, kind_of(name), "grants.get", permission::GRANTS_GET);
        self.pam_call(true, &cx, reqwest::Method::GET, format!("v1/{name}"), Vec::new(), None, "a grant")
            .await
    }

    /// `grants:search` on one entitlement, by the caller's relationship to the grants.
    pub async fn search_grants(
        &self,
        entitlement: &str,
        relationship: Relationship,
    ) -> crate::Result<Vec<Grant>> {
        let cx = self.pam_cx(entitlement, kind_of(entitlement), "grants.search", permission::ELIGIBILITY);
        self.pam_pages(
            &cx,
            format!("v1/{entitlement}/grants:search"),
            vec![("callerRelationship", relationship.wire())],
            |p: GrantsPage| (p.grants, p.next_page_token),
        )
        .await
    }

    /// `grants.list` on one entitlement: every grant (an administrator's view).
    pub async fn list_grants(&self, entitlement: &str) -> crate::Result<Vec<Grant>> {
        let cx = self.pam_cx(entitlement, kind_of(entitlement), "grants.list", permission::GRANTS_LIST);
        self.pam_pages(&cx, format!("v1/{entitlement}/grants"), Vec::new(), |p: GrantsPage| {
            (p.grants, p.next_page_token)
        })
        .await
    }

    /// `grants.approve` (one try: a repeated approval would be refused).
    pub async fn approve_grant(&self, name: &str, reason: Option<&str>) -> crate::Result<Grant> {
        let cx = self.pam_cx(name, kind_of(name), "grants.approve", permission::ELIGIBILITY);
        let body = reason.map_or_else(|| json!({}), |r| json!({"reason": r}));
        self.pam_call(
            false,
            &cx,
            reqwest::Method::POST,
            format!("v1/{name}:approve"),
            Vec::new(),
            Some(body),
            "a grant",
        )
        .await
    }

    /// `grants.deny` (one try).
    pub async fn deny_grant(&self, name: &str, reason: &str) -> crate::Result<Grant> {
        let cx = self.pam_cx(name, kind_of(name), "grants.deny", permission::ELIGIBILITY);
        self.pam_call(
            false,
            &cx,
            reqwest::Method::POST,
            format!("v1/{name}:deny"),
            Vec::new(),
            Some(json!({"reason": reason})),
            "a grant",
        )
        .await
    }

    /// `grants.revoke`, its operation followed to the end: the grant as it is then.
    pub async fn revoke_grant(&self, name: &str, reason: Option<&str>) -> crate::Result<Grant> {
        let cx = self.pam_cx(name, kind_of(name), "grants.revoke", permission::GRANTS_REVOKE);
        let body = reason.map_or_else(|| json!({}), |r| json!({"reason": r}));
        let op: Operation = self
            .pam_call(
                false,
                &cx,
                reqwest::Method::POST,
                format!("v1/{name}:revoke"),
                Vec::new(),
                Some(body),
                "an operation",
            )
            .await?;
        let done = self.wait_operation(op, &cx).await?;
        match &done.response {
            Some(v) if v.get("name").is_some() => response_as(&done, &cx, "a grant"),
            _ => self.get_grant(name).await,
        }
    }

    /// Polls `op` (`operations.get`) until it is done, within [`OPERATION_BOUND`]: its error, if
    /// it failed, as jit's error; the done operation otherwise.
    async fn wait_operation(&self, mut op: Operation, cx: &Context<'_>) -> crate::Result<Operation> {
        let started = tokio::time::Instant::now();
        let mut pause = Duration::from_millis(100);
        while !op.done {
            if op.name.is_empty() {
                return Err(Error::Api {
                    resource: cx.resource.to_string(),
                    status: None,
                    message: format!(
                        "{} answered an operation without a name, which cannot be followed",
                        cx.call.verb()
                    ),
                });
            }
            if started.elapsed() >= OPERATION_BOUND {
                return Err(Error::Api {
                    resource: cx.resource.to_string(),
                    status: None,
                    message: format!(
                        "{} did not finish within {}s; it goes on at Google (operation `{}`)",
                        cx.call.verb(),
                        OPERATION_BOUND.as_secs(),
                        op.name
                    ),
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
            let name = op.name.clone();
            let ocx = self.pam_cx(&name, cx.kind, "operations.get", permission::OPERATIONS_GET);
            op = self
                .pam_call(
                    true,
                    &ocx,
                    reqwest::Method::GET,
                    format!("v1/{name}"),
                    Vec::new(),
                    None,
                    "an operation",
                )
                .await?;
        }
        if let Some(status) = &op.error {
            return Err(operation_error(status, cx));
        }
        Ok(op)
    }

    /// Which of `permissions` the caller holds on `resource` (its own `testIamPermissions`, as
    /// Google evaluates the caller's access: "is the grant effective yet").
    pub async fn test_permissions(
        &self,
        resource: &ResourceId,
        permissions: &[String],
    ) -> crate::Result<Vec<String>> {
        let name = resource.name();
        let cx = Context {
            resource: &name,
            kind: resource.kind,
            call: Call::Pam { verb: "testIamPermissions", permission: "" },
            endpoint: self.inner.clients.shown(resource.kind),
            credentials: &self.inner.clients.credentials,
        };
        let path = match super::kinds::row(resource.kind).style {
            super::kinds::Style::CrmBody => format!("v3/{name}:testIamPermissions"),
            super::kinds::Style::StorageJson => format!("b/{}/iam/testPermissions", resource.id),
            _ => format!("v1/{name}:testIamPermissions"),
        };
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Answer {
            permissions: Vec<String>,
        }
        let op = super::Op {
            resource: &name,
            verb: "testIamPermissions",
            endpoint: self.inner.clients.shown(resource.kind),
        };
        let body = json!({"permissions": permissions});
        let answer: Answer = self
            .retrying(op, || async {
                let bytes = self
                    .inner
                    .clients
                    .call(
                        Service::Of(resource.kind),
                        reqwest::Method::POST,
                        path.clone(),
                        Vec::new(),
                        Some(body.clone()),
                        &cx,
                    )
                    .await?;
                serde_json::from_slice::<Answer>(&bytes)
                    .map_err(|e| super::errors::not_an_answer(&e, &cx, "a list of permissions"))
            })
            .await?;
        Ok(answer.permissions)
    }

    /// Secret Manager's `versions:access` of `name` (`projects/P/secrets/S`, its `latest`
    /// version, or a version named in full): the payload as text (the chat webhook of
    /// `[notify]`).
    pub async fn access_secret(&self, name: &str) -> crate::Result<String> {
        let version =
            if name.contains("/versions/") { name.to_string() } else { format!("{name}/versions/latest") };
        let cx = Context {
            resource: name,
            kind: Kind::Secret,
            call: Call::Pam { verb: "versions.access", permission: "secretmanager.versions.access" },
            endpoint: self.inner.clients.shown(Kind::Secret),
            credentials: &self.inner.clients.credentials,
        };
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Payload {
            data: String,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Answer {
            payload: Payload,
        }
        let op = super::Op {
            resource: name,
            verb: "versions.access",
            endpoint: self.inner.clients.shown(Kind::Secret),
        };
        let answer: Answer = self
            .retrying(op, || async {
                let bytes = self
                    .inner
                    .clients
                    .call(
                        Service::Of(Kind::Secret),
                        reqwest::Method::GET,
                        format!("v1/{version}:access"),
                        Vec::new(),
                        None,
                        &cx,
                    )
                    .await?;
                serde_json::from_slice::<Answer>(&bytes)
                    .map_err(|e| super::errors::not_an_answer(&e, &cx, "a secret version"))
            })
            .await?;
        let bytes = base64_decode(&answer.payload.data).ok_or_else(|| Error::Api {
            resource: name.to_string(),
            status: None,
            message: "the secret's payload is not base64".to_string(),
        })?;
        String::from_utf8(bytes).map(|s| s.trim().to_string()).map_err(|_| Error::Api {
            resource: name.to_string(),
            status: None,
            message: "the secret's payload is not text".to_string(),
        })
    }

    /// Posts `body` as JSON to `url` (a chat webhook): no credentials are sent.
    pub async fn post_webhook(&self, url: &str, body: &Value) -> crate::Result<()> {
        let shown = super::errors::redact_userinfo(url.split('?').next().unwrap_or(url));
        let client = self.inner.clients.http_for(url)?;
        let send = client.post(url).json(body).send();
        let answer = tokio::time::timeout(Duration::from_secs(10), send)
            .await
            .map_err(|_| Error::Network {
                resource: String::new(),
                message: format!("`{shown}` did not answer in 10s"),
            })?
            .map_err(|e| Error::Network {
                resource: String::new(),
                message: format!("cannot post to `{shown}`: {}", super::errors::root_cause(&e.without_url())),
            })?;
        let status = answer.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(Error::Api {
                resource: String::new(),
                status: Some(status),
                message: format!("`{shown}` refused the message"),
            });
        }
        Ok(())
    }
}

/// The kind of the scope a PAM name starts with (`projects/…`, `folders/…`, `organizations/…`).
pub fn kind_of(name: &str) -> Kind {
    match name.split('/').next() {
        Some("folders") => Kind::Folder,
        Some("organizations") => Kind::Organization,
        _ => Kind::Project,
    }
}

/// The scope a PAM name (an entitlement's, a grant's) belongs to.
pub fn scope_of(name: &str) -> Option<ResourceId> {
    let mut parts = name.split('/');
    match (parts.next()?, parts.next()?) {
        ("projects", id) => ResourceId::project(id).ok(),
        ("folders", n) => ResourceId::folder(n).ok(),
        ("organizations", n) => ResourceId::organization(n).ok(),
        _ => None,
    }
}

/// A random version-4 UUID, PAM's `requestId` ("a valid UUID … zero UUID is not supported").
fn request_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// The `response` of a done operation as `T`.
fn response_as<T: for<'de> Deserialize<'de>>(
    op: &Operation,
    cx: &Context<'_>,
    what: &str,
) -> crate::Result<T> {
    let v = op.response.clone().unwrap_or(Value::Null);
    serde_json::from_value(v).map_err(|e| super::errors::not_an_answer(&e, cx, what))
}

/// A failed operation's `Status` as jit's error (its `code` is a google.rpc.Code).
fn operation_error(status: &Status, cx: &Context<'_>) -> Error {
    let message = super::errors::redact(&status.message);
    let resource = cx.resource.to_string();
    match status.code {
        7 => Error::PermissionDenied {
            resource,
            message,
            permission: Some(cx.call.permission(cx.kind)).filter(|p| !p.is_empty()),
        },
        10 => Error::Conflict { resource, message },
        // google.rpc.Code to HTTP (https://cloud.google.com/apis/design/errors#handling_errors).
        code => Error::Api {
            resource,
            status: Some(match code {
                3 | 9 | 11 => 400,
                5 => 404,
                6 => 409,
                8 => 429,
                14 => 503,
                _ => 500,
            }),
            message,
        },
    }
}

/// Standard base64 (with or without padding), as Secret Manager's `payload.data` is.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace() && *b != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= val(*c)? << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_google_durations() {
        assert_eq!(parse_duration("7200s"), Some(chrono::Duration::hours(2)));
        assert_eq!(parse_duration("1.5s"), Some(chrono::Duration::milliseconds(1500)));
        assert_eq!(parse_duration("2h"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(format_duration(chrono::Duration::hours(4)), "14400s");
    }

    #[test]
    fn an_entitlement_round_trips_with_exactly_its_fields() {
        let text = json!({
            "name": "projects/p/locations/global/entitlements/jit-prod-debug",
            "eligibleUsers": [{"principals": ["group:oncall@example.com", "user:bob@example.com"]}],
            "approvalWorkflow": {"manualApprovals": {"steps": [{"approvalsNeeded": 1,
                "approvers": [{"principals": ["group:sre-leads@example.com"]}]}]}},
            "privilegedAccess": {"gcpIamAccess": {"resource": "//cloudresourcemanager.googleapis.com/projects/p",
                "resourceType": "cloudresourcemanager.googleapis.com/Project",
                "roleBindings": [{"role": "roles/logging.viewer"}, {"role": "roles/cloudsql.client"}]}},
            "maxRequestDuration": "14400s",
            "requesterJustificationConfig": {"unstructured": {}},
            "additionalNotificationTargets": {"adminEmailRecipients": ["security@example.com"]},
            "etag": "e1",
            "state": "AVAILABLE",
            "createTime": "2026-01-01T00:00:00Z",
            "updateTime": "2026-01-01T00:00:00Z"
        });
        let e: Entitlement = serde_json::from_value(text.clone()).unwrap();
        assert_eq!(serde_json::to_value(&e).unwrap(), text);
        assert_eq!(e.id(), "jit-prod-debug");
        assert_eq!(e.roles(), ["roles/logging.viewer", "roles/cloudsql.client"]);
        assert_eq!(e.requesters(), ["group:oncall@example.com", "user:bob@example.com"]);
        assert_eq!(e.approvers(), ["group:sre-leads@example.com"]);
        assert!(e.needs_approval() && e.requires_reason());
        assert_eq!(e.max_duration(), Some(chrono::Duration::hours(4)));
        let w = serde_json::to_value(e.for_write()).unwrap();
        assert!(w.get("state").is_none() && w.get("createTime").is_none() && w["etag"] == "e1");
    }

    #[test]
    fn a_grant_names_its_entitlement_and_its_actors() {
        let g: Grant = serde_json::from_value(json!({
            "name": "projects/p/locations/global/entitlements/e1/grants/g-123",
            "requester": "bob@example.com",
            "requestedDuration": "3600s",
            "justification": {"unstructuredJustification": "INC-42"},
            "state": "ACTIVE",
            "auditTrail": {"accessGrantTime": "2026-01-01T10:00:00Z"},
            "timeline": {"events": [
                {"eventTime": "2026-01-01T09:00:00Z", "requested": {"expireTime": "2026-01-02T09:00:00Z"}},
                {"eventTime": "2026-01-01T10:00:00Z", "approved": {"actor": "alice@example.com", "reason": "ok"}},
                {"eventTime": "2026-01-01T10:00:00Z", "activated": {}}
            ]}
        }))
        .unwrap();
        assert_eq!(g.id(), "g-123");
        assert_eq!(g.entitlement(), "projects/p/locations/global/entitlements/e1");
        assert_eq!(g.reason(), "INC-42");
        assert_eq!(g.approver().unwrap().actor, "alice@example.com");
        assert_eq!(g.ends(), crate::condition::parse_timestamp("2026-01-01T11:00:00Z"));
        assert_eq!(scope_of(&g.name), None, "`p` is no project ID");
        assert_eq!(
            scope_of("projects/jit-demo-prod/locations/global/entitlements/e1"),
            Some(ResourceId::project("jit-demo-prod").unwrap())
        );
        assert_eq!(kind_of("folders/12/locations/global"), Kind::Folder);
    }

    #[test]
    fn failed_operations_say_what_google_said() {
        let cx = Context {
            resource: "projects/p/locations/global",
            kind: Kind::Project,
            call: Call::Pam { verb: "entitlements.create", permission: permission::ENTITLEMENTS_CREATE },
            endpoint: "http://h/",
            credentials: "c",
        };
        let e = operation_error(&Status { code: 3, message: "bad duration".into(), details: vec![] }, &cx);
        assert_eq!(
            e,
            Error::Api {
                resource: "projects/p/locations/global".into(),
                status: Some(400),
                message: "bad duration".into()
            }
        );
        let denied = operation_error(&Status { code: 7, message: "no".into(), details: vec![] }, &cx);
        assert!(
            matches!(denied, Error::PermissionDenied { permission: Some(p), .. } if p == permission::ENTITLEMENTS_CREATE)
        );
    }

    #[test]
    fn request_ids_are_version_4_uuids_and_base64_decodes() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, request_id());
        assert_eq!(
            base64_decode("aHR0cHM6Ly9jaGF0LmV4YW1wbGUvaG9vaw==").unwrap(),
            b"https://chat.example/hook"
        );
        assert_eq!(base64_decode("YQ").unwrap(), b"a");
        assert_eq!(base64_decode("!!"), None);
    }
}

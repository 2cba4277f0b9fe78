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
//! The calls are here; the document's types, with exactly its fields, in `types.rs`; the chat
//! webhook of `[notify]` (Secret Manager's `versions:access`, the post) in `notify.rs`.

use std::time::Duration;

use serde::Deserialize;
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

mod notify;
mod types;

#[cfg(test)]
use self::notify::base64_decode;
pub use self::types::*;

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

    /// One call to the API of `cx.kind` (not PAM's), retried on 429/5xx and dropped connections
    /// within the budget (reads and idempotent checks only), its answer parsed as `T`.
    pub(super) async fn kind_call<T: for<'de> Deserialize<'de>>(
        &self,
        cx: &Context<'_>,
        method: reqwest::Method,
        path: String,
        body: Option<Value>,
        what: &str,
    ) -> crate::Result<T> {
        let op = super::Op {
            resource: cx.resource,
            verb: cx.call.verb(),
            endpoint: self.inner.clients.shown(cx.kind),
        };
        self.retrying(op, || async {
            let bytes = self
                .inner
                .clients
                .call(Service::Of(cx.kind), method.clone(), path.clone(), Vec::new(), body.clone(), cx)
                .await?;
            serde_json::from_slice::<T>(&bytes).map_err(|e| super::errors::not_an_answer(&e, cx, what))
        })
        .await
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
        let body = json!({"permissions": permissions});
        let answer: Answer =
            self.kind_call(&cx, reqwest::Method::POST, path, Some(body), "a list of permissions").await?;
        Ok(answer.permissions)
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

//! What Google says about roles: whether one exists, which can be granted on a scope (IAM v1).

use super::calls::Op;
use super::connection::Gcp;
use crate::iam::{Kind, ResourceId};

impl Gcp {
    /// Whether Google knows `role` (IAM v1 `roles.get` on IAM's endpoint: `--endpoint`, else
    /// `CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM`, else `iam.googleapis.com`); 429 and 5xx are retried
    /// within the budget, each try under its deadline, as every other call.
    pub async fn role_exists(&self, role: &str) -> crate::Result<crate::roles::Online> {
        let op = Op {
            resource: role,
            verb: "roles.get",
            endpoint: self.inner.clients.shown(Kind::ServiceAccount),
        };
        self.retrying(op, || self.inner.clients.get_role(role)).await
    }

    /// The roles Google says can be granted on `scope`, as (name, title), every page of IAM v1
    /// `roles.queryGrantableRoles` (<https://cloud.google.com/iam/docs/reference/rest/v1/roles/queryGrantableRoles>):
    /// predefined roles and the custom roles defined on the scope or above it. 429 and 5xx are
    /// retried within the budget, as every other call.
    pub async fn grantable_roles(&self, scope: &ResourceId) -> crate::Result<Vec<(String, String)>> {
        let name = scope.name();
        let op = Op {
            resource: &name,
            verb: "roles.queryGrantableRoles",
            endpoint: self.inner.clients.shown(Kind::ServiceAccount),
        };
        let clients = &self.inner.clients;
        self.all_pages(op, |token| async move { clients.grantable_roles_page(scope, &token).await }).await
    }
}

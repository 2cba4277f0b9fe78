//! The Cloud Resource Manager v3 clients (projects, folders, organizations), built once per run,
//! and one function per call jit makes. Each call is made once: retries are decided by
//! [`super::retry`], so that `Retry-After`, the budget and `--verbose` stay ours (the SDK's own
//! retry loop is switched off with `NeverRetry`).

use google_cloud_gax::retry_policy::NeverRetry;
use google_cloud_iam_v1::model as iam;
use google_cloud_resourcemanager_v3::client::{Folders, Organizations, Projects};
use serde_json::Value;
use tokio::sync::OnceCell;

use super::errors::{Call, Context, map, redact_userinfo};
use crate::error::Error;
use crate::iam::{Kind, ResourceId};
use crate::policy::Policy;

/// gcloud's `api_endpoint_overrides/cloudresourcemanager` property, as an environment variable.
pub const CRM_OVERRIDE_VAR: &str = "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER";
/// Google's endpoint, the SDK's default.
pub const DEFAULT_ENDPOINT: &str = "https://cloudresourcemanager.googleapis.com";

/// The endpoint to use: `--endpoint`, else gcloud's override variable, else Google's.
///
/// gcloud (`apis_internal._BuildEndpointOverride`) uses the override as the API's base URL when
/// the default base URL's path is `/`, as it is for cloudresourcemanager, and appends the
/// method's relative path `v3/…` to it: `http://127.0.0.1:PORT/` gives
/// `http://127.0.0.1:PORT/v3/projects/ID:getIamPolicy`. The SDK appends `/v3/…` to the path of
/// its endpoint in the same way, so the value is passed on as it is.
pub fn resolve_endpoint(flag: Option<&str>) -> Option<String> {
    flag.map(str::to_string)
        .or_else(|| std::env::var(CRM_OVERRIDE_VAR).ok())
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
}

/// Asked for on every list call: "the server can return fewer … than requested", so a large value
/// only saves round trips (`cleanup --recursive` over thousands of projects).
const PAGE_SIZE: i32 = 1000;

/// `<endpoint>/<path>` with exactly one slash between them.
pub(crate) fn join(endpoint: &str, path: &str) -> String {
    format!("{}/{}", endpoint.trim_end_matches('/'), path.trim_start_matches('/'))
}

/// The three clients, each built on first use: building one costs a few milliseconds (its HTTP
/// client and TLS roots), and most runs need only one kind.
#[derive(Debug)]
pub(crate) struct Clients {
    endpoint_override: Option<String>,
    creds: google_cloud_auth::credentials::Credentials,
    projects: OnceCell<Projects>,
    folders: OnceCell<Folders>,
    organizations: OnceCell<Organizations>,
    /// For messages: the endpoint in use, its userinfo redacted.
    pub endpoint: String,
    /// For messages: where the credentials come from (never a secret).
    pub credentials: String,
}

macro_rules! lazy_client {
    ($name:ident, $field:ident, $client:ty) => {
        async fn $name(&self) -> crate::Result<&$client> {
            self.$field
                .get_or_try_init(|| async {
                    let mut b = <$client>::builder()
                        .with_credentials(self.creds.clone())
                        .with_retry_policy(NeverRetry);
                    if let Some(e) = &self.endpoint_override {
                        b = b.with_endpoint(e);
                    }
                    b.build().await.map_err(|e| Error::Api {
                        resource: String::new(),
                        status: None,
                        message: format!(
                            "cannot set up a client for `{}`: {}",
                            self.endpoint,
                            super::errors::chain(&e)
                        ),
                    })
                })
                .await
        }
    };
}

impl Clients {
    /// Checks the endpoint; the clients themselves are built on first use.
    pub(crate) fn new(
        endpoint: Option<&str>,
        creds: google_cloud_auth::credentials::Credentials,
        credentials: String,
    ) -> crate::Result<Clients> {
        if let Some(e) = endpoint {
            let shown = redact_userinfo(e);
            let url = reqwest::Url::parse(e).map_err(|err| {
                Error::usage_hint(
                    format!("the endpoint `{shown}` is not a URL: {err}"),
                    "use a URL like `https://cloudresourcemanager.googleapis.com` or `http://127.0.0.1:8085/`",
                )
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(Error::usage(format!("the endpoint `{shown}` is neither http:// nor https://")));
            }
        }
        Ok(Clients {
            endpoint_override: endpoint.map(str::to_string),
            creds,
            projects: OnceCell::new(),
            folders: OnceCell::new(),
            organizations: OnceCell::new(),
            endpoint: redact_userinfo(endpoint.unwrap_or(DEFAULT_ENDPOINT)),
            credentials,
        })
    }

    lazy_client!(projects, projects, Projects);
    lazy_client!(folders, folders, Folders);
    lazy_client!(organizations, organizations, Organizations);

    fn cx<'a>(&'a self, resource: &'a str, collection: &'a str, call: Call) -> Context<'a> {
        Context { resource, collection, call, endpoint: &self.endpoint, credentials: &self.credentials }
    }

    /// One `getIamPolicy` asking for version 3 (SPEC §4.1).
    pub(crate) async fn get_policy(&self, r: &ResourceId) -> crate::Result<Policy> {
        let name = r.name();
        let options = iam::GetPolicyOptions::new().set_requested_policy_version(3);
        let result = match r.kind {
            Kind::Project => {
                self.projects().await?.get_iam_policy().set_resource(&name).set_options(options).send().await
            }
            Kind::Folder => {
                self.folders().await?.get_iam_policy().set_resource(&name).set_options(options).send().await
            }
            Kind::Organization => {
                self.organizations()
                    .await?
                    .get_iam_policy()
                    .set_resource(&name)
                    .set_options(options)
                    .send()
                    .await
            }
        };
        let policy = result.map_err(|e| map(&e, &self.cx(&name, r.collection(), Call::GetIamPolicy)))?;
        from_sdk(policy, &name)
    }

    /// One `setIamPolicy` of `p` as given (the caller sets version and etag). No update mask:
    /// Google then updates `bindings` and `etag` only, so `auditConfigs` are never changed
    /// (SPEC §4.4).
    pub(crate) async fn set_policy(&self, r: &ResourceId, p: &Policy) -> crate::Result<Policy> {
        let name = r.name();
        let policy = to_sdk(p, &name)?;
        let result = match r.kind {
            Kind::Project => {
                self.projects().await?.set_iam_policy().set_resource(&name).set_policy(policy).send().await
            }
            Kind::Folder => {
                self.folders().await?.set_iam_policy().set_resource(&name).set_policy(policy).send().await
            }
            Kind::Organization => {
                self.organizations()
                    .await?
                    .set_iam_policy()
                    .set_resource(&name)
                    .set_policy(policy)
                    .send()
                    .await
            }
        };
        let policy = result.map_err(|e| map(&e, &self.cx(&name, r.collection(), Call::SetIamPolicy)))?;
        from_sdk(policy, &name)
    }

    /// One page of `folders.list?parent=`: the folders and the next page token.
    pub(crate) async fn list_folders_page(
        &self,
        parent: &ResourceId,
        page_token: &str,
    ) -> crate::Result<(Vec<ResourceId>, String)> {
        let name = parent.name();
        let page = self
            .folders()
            .await?
            .list_folders()
            .set_parent(&name)
            .set_page_size(PAGE_SIZE)
            .set_page_token(page_token)
            .send()
            .await
            .map_err(|e| map(&e, &self.cx(&name, parent.collection(), Call::ListFolders)))?;
        let folders = page
            .folders
            .iter()
            .map(|f| ResourceId::folder(&f.name))
            .collect::<crate::Result<Vec<_>>>()
            .map_err(|e| bad_answer(&name, &e.to_string()))?;
        Ok((folders, page.next_page_token))
    }

    /// One page of `projects.list?parent=`: the projects (by ID) and the next page token.
    pub(crate) async fn list_projects_page(
        &self,
        parent: &ResourceId,
        page_token: &str,
    ) -> crate::Result<(Vec<ResourceId>, String)> {
        let name = parent.name();
        let page = self
            .projects()
            .await?
            .list_projects()
            .set_parent(&name)
            .set_page_size(PAGE_SIZE)
            .set_page_token(page_token)
            .send()
            .await
            .map_err(|e| map(&e, &self.cx(&name, parent.collection(), Call::ListProjects)))?;
        let projects = page
            .projects
            .iter()
            .map(|p| {
                // `projectId` is what every other call and the user use; `name` is
                // `projects/NUMBER`, a fallback for answers without an ID.
                let id = if p.project_id.is_empty() {
                    p.name.strip_prefix("projects/").unwrap_or(&p.name)
                } else {
                    &p.project_id
                };
                ResourceId::project(id)
            })
            .collect::<crate::Result<Vec<_>>>()
            .map_err(|e| bad_answer(&name, &e.to_string()))?;
        Ok((projects, page.next_page_token))
    }
}

fn bad_answer(resource: &str, message: &str) -> Error {
    Error::Api {
        resource: resource.to_string(),
        status: None,
        message: format!("unexpected answer: {message}"),
    }
}

/// jit's policy → the SDK's, through Google's JSON mapping (both keep unknown fields).
pub(crate) fn to_sdk(p: &Policy, resource: &str) -> crate::Result<iam::Policy> {
    let value = serde_json::to_value(p).map_err(|e| bad_policy(resource, &e))?;
    serde_json::from_value(value).map_err(|e| bad_policy(resource, &e))
}

/// The SDK's policy → jit's. The SDK asks for `enum-encoding=int` and writes enums as numbers;
/// `auditConfigs[].auditLogConfigs[].logType` is the policy's one enum and goes back to its name,
/// so that jit prints what gcloud prints.
pub(crate) fn from_sdk(p: iam::Policy, resource: &str) -> crate::Result<Policy> {
    let mut value = serde_json::to_value(&p).map_err(|e| bad_policy(resource, &e))?;
    if let Some(configs) = value.get_mut("auditConfigs").and_then(Value::as_array_mut) {
        for config in configs {
            if let Some(logs) = config.get_mut("auditLogConfigs").and_then(Value::as_array_mut) {
                for log in logs {
                    if let Some(t) = log.get_mut("logType")
                        && let Some(n) = t.as_i64()
                    {
                        // An enum value this build does not know stays a number.
                        let name = match n {
                            0 => "LOG_TYPE_UNSPECIFIED",
                            1 => "ADMIN_READ",
                            2 => "DATA_WRITE",
                            3 => "DATA_READ",
                            _ => continue,
                        };
                        *t = Value::String(name.to_string());
                    }
                }
            }
        }
    }
    serde_json::from_value(value).map_err(|e| bad_policy(resource, &e))
}

fn bad_policy(resource: &str, e: &serde_json::Error) -> Error {
    Error::Api {
        resource: resource.to_string(),
        status: None,
        message: format!("the policy does not fit Google's policy format: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_flag_wins_over_gclouds_variable() {
        assert_eq!(resolve_endpoint(Some("http://127.0.0.1:1/")).as_deref(), Some("http://127.0.0.1:1/"));
        assert_eq!(resolve_endpoint(Some("  ")), None);
        assert_eq!(join("http://h:1/", "/oauth2/v3/tokeninfo"), "http://h:1/oauth2/v3/tokeninfo");
        assert_eq!(join("http://h:1", "oauth2/v3/tokeninfo"), "http://h:1/oauth2/v3/tokeninfo");
    }

    #[test]
    fn enum_numbers_from_the_wire_become_names() {
        // What Google sends with `$alt=json;enum-encoding=int`.
        let wire = r#"{"version": 3, "etag": "BwYRRpZ0Nr8=", "auditConfigs": [{"service": "allServices",
            "auditLogConfigs": [{"logType": 1}, {"logType": 2}, {"logType": 3}, {"logType": 9}]}]}"#;
        let sdk: iam::Policy = serde_json::from_str(wire).unwrap();
        let ours = from_sdk(sdk, "projects/p").unwrap();
        let types: Vec<String> = ours.extra["auditConfigs"][0]["auditLogConfigs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["logType"].to_string())
            .collect();
        assert_eq!(types, [r#""ADMIN_READ""#, r#""DATA_WRITE""#, r#""DATA_READ""#, "9"]);
    }

    #[test]
    fn policies_survive_the_trip_through_the_sdk() {
        let text = r#"{
          "version": 3,
          "etag": "BwYRRpZ0Nr8=",
          "bindings": [
            {"role": "roles/viewer", "members": ["user:b@example.com", "user:a@example.com"], "futureField": 1},
            {"role": "roles/storage.admin", "members": ["user:c@example.com"],
             "condition": {"title": "jit until x", "expression": "request.time < timestamp(\"2026-11-25T14:00:00Z\")",
                           "futureExprField": "y"}}
          ],
          "auditConfigs": [{"service": "allServices", "auditLogConfigs": [
             {"logType": "DATA_READ", "exemptedMembers": ["user:a@example.com"]}, {"logType": "ADMIN_READ"}]}],
          "futurePolicyField": {"z": [1, 2]}
        }"#;
        let ours = Policy::from_json(text).unwrap();
        let sdk = to_sdk(&ours, "projects/p").unwrap();
        assert_eq!(sdk.version, 3);
        assert_eq!(&sdk.etag[..], &[0x07, 0x06, 0x11, 0x46, 0x96, 0x74, 0x36, 0xbf]);
        let back = from_sdk(sdk, "projects/p").unwrap();
        let a: Value = serde_json::from_str(text).unwrap();
        let b = serde_json::to_value(&back).unwrap();
        assert_eq!(a, b, "nothing lost, nothing added");
    }
}

//! jit's own HTTP client for Google's REST APIs: one `reqwest` client built once per run, the
//! credentials' headers from `google-cloud-auth`, jit's own policy types on the wire, and one
//! function per call jit makes. Each call is made once: retries are decided by [`super::retry`],
//! so that `Retry-After`, the budget and `--verbose` stay ours.
//!
//! Each kind's policy calls are in the shape its service wants (src/kinds/). Cloud Resource
//! Manager v3's, as gcloud makes them (`alt=json`, names for enums):
//! - `POST /v3/{resource}:getIamPolicy` with `{"options": {"requestedPolicyVersion": 3}}`
//!   (<https://cloud.google.com/resource-manager/reference/rest/v3/projects/getIamPolicy>),
//! - `POST /v3/{resource}:setIamPolicy` with `{"policy": …}` and no `updateMask`, so that Google
//!   updates `bindings` and `etag` only (the field's documented default; gcloud's
//!   `projects_api.SetIamPolicy` leaves it unset for `add-iam-policy-binding` too),
//! - `GET /v3/folders?parent=` and `GET /v3/projects?parent=`, paginated, for the walk of
//!   `cleanup --recursive`.
//!
//! The discovery document (`cloudresourcemanager/v3/cloudresourcemanager-api.json` in
//! googleapis/google-api-go-client) gives these paths and bodies.

use std::sync::OnceLock;

use google_cloud_auth::credentials::Credentials;
use http::HeaderMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::{self, Call, Context, redact_userinfo};
use super::kinds::{self, Style};
use crate::error::Error;
use crate::iam::{Kind, ResourceId};
use crate::policy::Policy;

/// gcloud's `api_endpoint_overrides/cloudresourcemanager` property, as an environment variable.
pub const CRM_OVERRIDE_VAR: &str = "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER";
/// Google's endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://cloudresourcemanager.googleapis.com";

/// The endpoint to use: `--endpoint`, else gcloud's override variable, else Google's.
///
/// gcloud (`apis_internal._BuildEndpointOverride`) uses the override as the API's base URL when
/// the default base URL's path is `/`, as it is for cloudresourcemanager, and appends the
/// method's relative path `v3/…` to it: `http://127.0.0.1:PORT/` gives
/// `http://127.0.0.1:PORT/v3/projects/ID:getIamPolicy`. jit does the same.
pub fn resolve_endpoint(flag: Option<&str>, vars: &crate::config::env::Vars) -> Option<String> {
    flag.map(str::to_string)
        .or_else(|| vars.raw(CRM_OVERRIDE_VAR))
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
}

/// gcloud's `api_endpoint_overrides/logging` property, as an environment variable.
pub const LOGGING_OVERRIDE_VAR: &str = "CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING";
/// Cloud Logging's endpoint (logging/v2/logging-api.json's `rootUrl`).
pub const LOGGING_ENDPOINT: &str = "https://logging.googleapis.com/";

/// Asked for on every list call: "the server can return fewer … than requested", so a large value
/// only saves round trips (`cleanup --recursive` over thousands of projects).
const PAGE_SIZE: &str = "1000";

/// The most of an answer that is read. A policy is at most 64 KB of bindings
/// (<https://cloud.google.com/iam/quotas>), a page of 1000 projects a few hundred KB; a longer
/// answer is cut and then does not parse, which is reported as what it is.
const ANSWER_MAX_BYTES: usize = 16 * 1024 * 1024;

/// `<endpoint>/<path>` with exactly one slash between them.
pub(crate) fn join(endpoint: &str, path: &str) -> String {
    format!("{}/{}", endpoint.trim_end_matches('/'), path.trim_start_matches('/'))
}

/// The HTTP clients and the credentials, for one run.
#[derive(Debug)]
pub(crate) struct Clients {
    /// Per kind: the base URL of its API and, for messages, that URL with its userinfo redacted.
    bases: Vec<(Kind, String, String)>,
    /// Cloud Logging's base URL and how messages show it (`jit history`): `--endpoint`, else
    /// `CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING`, else Google's.
    logging: (String, String),
    creds: Credentials,
    /// Built on first use; see [`Clients::http_for`].
    plain: OnceLock<reqwest::Client>,
    tls: OnceLock<reqwest::Client>,
    /// For messages: Cloud Resource Manager's endpoint, its userinfo redacted.
    pub endpoint: String,
    /// For messages: where the credentials come from (never a secret).
    pub credentials: String,
    /// Cloud Asset Inventory's base URL and its shown form: `--endpoint`, else
    /// `CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDASSET`, else Google's.
    asset: (String, String),
    /// The quota project sent as `x-goog-user-project` on every call (`--billing-project`,
    /// `CLOUDSDK_BILLING_QUOTA_PROJECT`), over any the credentials carry.
    quota_project: Option<http::HeaderValue>,
    /// Google's clock by the `Date` of its answers (issue 17 item 3).
    pub(crate) clock: super::clock::ServerClock,
    /// Privileged Access Manager's base URL and its shown form: `--endpoint`, else
    /// `CLOUDSDK_API_ENDPOINT_OVERRIDES_PRIVILEGEDACCESSMANAGER`, else Google's (src/gcp/pam/).
    pam: (String, String),
}

/// gcloud's `api_endpoint_overrides/privilegedaccessmanager` property as an environment variable.
pub const PAM_OVERRIDE_VAR: &str = "CLOUDSDK_API_ENDPOINT_OVERRIDES_PRIVILEGEDACCESSMANAGER";
/// Privileged Access Manager's endpoint (its discovery document's `rootUrl`; paths start `v1/`).
pub const PAM_ENDPOINT: &str = "https://privilegedaccessmanager.googleapis.com/";

/// Which API a call of [`Clients::call`] goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// Privileged Access Manager.
    Pam,
    /// The API that serves policies of this kind (Cloud Resource Manager for projects, Secret
    /// Manager for secrets, …).
    Of(Kind),
}

/// gcloud's `api_endpoint_overrides/cloudasset` property as an environment variable.
pub const ASSET_OVERRIDE_VAR: &str = "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDASSET";

/// One page of `searchAllIamPolicies`
/// (cloudasset v1 discovery document, `SearchAllIamPoliciesResponse`).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct SearchPage {
    pub results: Vec<SearchResult>,
    pub next_page_token: String,
}

/// `IamPolicySearchResult`: the fields jit reads.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct SearchResult {
    pub resource: String,
    pub asset_type: String,
    /// `projects/NUMBER`.
    pub project: String,
    pub policy: Value,
}

/// One request: its method, path below the API's base URL, query and JSON body.
struct Request<'a> {
    method: reqwest::Method,
    path: String,
    query: Vec<(&'a str, &'a str)>,
    body: Option<Value>,
}

/// Refuses an endpoint that is not an http or https URL, naming where it came from.
fn check_endpoint(e: &str, from: &str) -> crate::Result<()> {
    let shown = redact_userinfo(e);
    let url = reqwest::Url::parse(e).map_err(|err| {
        Error::usage_hint(
            format!("the endpoint `{shown}`{from} is not a URL: {err}"),
            "use a URL like `https://cloudresourcemanager.googleapis.com` or `http://127.0.0.1:8085/`",
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::usage(format!("the endpoint `{shown}`{from} is neither http:// nor https://")));
    }
    Ok(())
}

impl Clients {
    /// Works out and checks every service's base URL (`--endpoint`, else the service's gcloud
    /// override variable, else Google's: [`kinds::base_url`]); the HTTP clients themselves are
    /// built on first use.
    pub(crate) fn new(
        endpoint: Option<&str>,
        creds: Credentials,
        credentials: String,
        quota_project: Option<&str>,
        vars: &crate::config::env::Vars,
    ) -> crate::Result<Clients> {
        if let Some(e) = endpoint {
            check_endpoint(e, "")?;
        }
        let flag = endpoint;
        let mut bases = Vec::new();
        for row in &kinds::ROWS {
            let var = if endpoint.is_some() { None } else { vars.raw(row.override_var) };
            if let Some(v) = var.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                check_endpoint(v, &format!(" in {}", row.override_var))?;
            }
            let base = kinds::base_url(row, endpoint, var.as_deref());
            let shown = redact_userinfo(&base);
            bases.push((row.kind, base, shown));
        }
        let endpoint = bases.iter().find(|b| b.0 == Kind::Project).map(|b| b.2.clone()).unwrap_or_default();
        // Cloud Asset's and Logging's base path is `/` (their `rootUrl`; the methods start with
        // `v1/`, `v2/`), so an override is used as it is given, as gcloud's
        // `_BuildEndpointOverride` does for such APIs (kinds::base_url).
        let asset = root_base(flag, ASSET_OVERRIDE_VAR, "https://cloudasset.googleapis.com", vars)?;
        let logging = root_base(flag, LOGGING_OVERRIDE_VAR, LOGGING_ENDPOINT, vars)?;
        let pam = root_base(flag, PAM_OVERRIDE_VAR, PAM_ENDPOINT, vars)?;
        let quota_project =
            match quota_project {
                Some(p) => Some(http::HeaderValue::from_str(p).map_err(|_| {
                    Error::usage(format!("the quota project `{p}` cannot be sent as a header"))
                })?),
                None => None,
            };
        Ok(Clients {
            bases,
            logging,
            creds,
            plain: OnceLock::new(),
            tls: OnceLock::new(),
            endpoint,
            credentials,
            asset,
            quota_project,
            clock: Default::default(),
            pam,
        })
    }

    /// The base URL of `kind`'s API, and how messages show it.
    fn base(&self, kind: Kind) -> (&str, &str) {
        self.bases.iter().find(|b| b.0 == kind).map_or(("", ""), |b| (b.1.as_str(), b.2.as_str()))
    }

    /// For messages: the endpoint that serves `kind`'s policies.
    pub(crate) fn shown(&self, kind: Kind) -> &str {
        self.base(kind).1
    }

    /// The HTTP client for `url`. A plain-http URL (an emulator, the metadata server) gets a
    /// client that trusts no certificate, so the platform's store is never read for it: reading
    /// it costs more CPU than the rest of a run against the emulator (docs/performance.md). An
    /// https URL gets the client that verifies with the platform's roots, built (and the store
    /// read) on the first https call. Each is built at most once per run.
    pub(crate) fn http_for(&self, url: &str) -> crate::Result<&reqwest::Client> {
        let (cell, plain) = if url.starts_with("http://") { (&self.plain, true) } else { (&self.tls, false) };
        if let Some(c) = cell.get() {
            return Ok(c);
        }
        let c = if plain { super::transport::plain_http_client()? } else { super::transport::http_client()? };
        Ok(cell.get_or_init(|| c))
    }

    /// The credentials, for tokeninfo.
    pub(crate) fn creds(&self) -> &Credentials {
        &self.creds
    }

    fn cx<'a>(&'a self, resource: &'a str, kind: Kind, call: Call) -> Context<'a> {
        Context { resource, kind, call, endpoint: self.shown(kind), credentials: &self.credentials }
    }

    /// Sends `req` to `kind`'s API with the credentials' headers; a 2xx answer's body, or the
    /// error it maps to.
    async fn send(&self, kind: Kind, req: Request<'_>, cx: &Context<'_>) -> crate::Result<Vec<u8>> {
        let (status, headers, body) = self.exchange(kind, req, cx).await?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        Err(errors::from_answer(status, &headers, &body, cx))
    }

    /// Sends `req` to `kind`'s API with the credentials' headers; the answer's status, headers
    /// and body, whatever the status.
    async fn exchange(
        &self,
        kind: Kind,
        req: Request<'_>,
        cx: &Context<'_>,
    ) -> crate::Result<(u16, HeaderMap, Vec<u8>)> {
        // Cloud Asset's search has a host of its own, whatever the kind of its scope.
        let base =
            if cx.call == Call::SearchAllIamPolicies { self.asset.0.as_str() } else { self.base(kind).0 };
        self.exchange_at(base, req, cx).await
    }

    /// As [`Clients::exchange`], to the API at `base`.
    async fn exchange_at(
        &self,
        base: &str,
        req: Request<'_>,
        cx: &Context<'_>,
    ) -> crate::Result<(u16, HeaderMap, Vec<u8>)> {
        let mut headers =
            super::transport::auth_headers(&self.creds).await.map_err(|e| errors::credentials(&e, cx))?;
        if let Some(p) = &self.quota_project {
            // gcloud sends `X-Goog-User-Project` when billing/quota_project is set; the flag or
            // variable wins over a quota project in the credentials' file.
            headers.insert("x-goog-user-project", p.clone());
        }
        let url = join(base, &req.path);
        // gcloud's query starts with `alt=json`: enums come back as names.
        let mut query = vec![("alt", "json")];
        query.extend(req.query);
        let mut builder = self.http_for(&url)?.request(req.method, &url).headers(headers).query(&query);
        if let Some(body) = &req.body {
            builder = builder.json(body);
        }
        let response = builder.send().await.map_err(|e| errors::transport(e, cx))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.clock.observe(&headers);
        let body = super::transport::read_capped(response, ANSWER_MAX_BYTES)
            .await
            .map_err(|e| errors::transport(e, cx))?;
        Ok((status, headers, body))
    }

    /// One IAM v1 `roles.get` of `role` (`roles/NAME`, `projects/P/roles/ID` or
    /// `organizations/N/roles/ID`, already checked well-formed): `GET v1/{+name}` on IAM's endpoint
    /// (<https://cloud.google.com/iam/docs/reference/rest/v1/roles/get>,
    /// `projects.roles/get`, `organizations.roles/get`). Google's answer decides: a role is
    /// [`Online::Exists`] on a 2xx, [`Online::NotFound`] on Google's own `404 NOT_FOUND` (an
    /// HTML 404 from a wrong endpoint is no answer about the role); anything else is an error.
    pub(crate) async fn get_role(&self, role: &str) -> crate::Result<crate::roles::Online> {
        let cx = self.cx(role, Kind::ServiceAccount, Call::GetRole);
        let req = Request {
            method: reqwest::Method::GET,
            path: format!("v1/{role}"),
            query: Vec::new(),
            body: None,
        };
        let (status, headers, body) = self.exchange(Kind::ServiceAccount, req, &cx).await?;
        if (200..300).contains(&status) {
            return Ok(crate::roles::Online::Exists);
        }
        if status == 404 && is_not_found(&body) {
            return Ok(crate::roles::Online::NotFound);
        }
        Err(errors::from_answer(status, &headers, &body, &cx))
    }

    /// One page of IAM v1 `roles.queryGrantableRoles` on `scope`: `POST v1/roles:queryGrantableRoles`
    /// with `{"fullResourceName", "pageSize", "pageToken"}` on IAM's endpoint
    /// (<https://cloud.google.com/iam/docs/reference/rest/v1/roles/queryGrantableRoles>; the page
    /// size is at most 1,000 in older copies of the reference, 2,000 in the current one). The
    /// roles as (name, title), and the next page's token.
    pub(crate) async fn grantable_roles_page(
        &self,
        scope: &ResourceId,
        page_token: &str,
    ) -> crate::Result<(Vec<(String, String)>, String)> {
        let name = scope.name();
        let cx = self.cx(&name, scope.kind, Call::QueryGrantableRoles);
        let mut body = json!({"fullResourceName": scope.to_full_name(), "pageSize": 1000});
        if !page_token.is_empty() {
            body["pageToken"] = json!(page_token);
        }
        let req = Request {
            method: reqwest::Method::POST,
            path: "v1/roles:queryGrantableRoles".to_string(),
            query: Vec::new(),
            body: Some(body),
        };
        let body = self.send(Kind::ServiceAccount, req, &cx).await?;
        let page: GrantablePage = serde_json::from_slice(&body)
            .map_err(|e| errors::not_an_answer(&e, &cx, "a page of grantable roles"))?;
        let roles =
            page.roles.into_iter().filter(|r| !r.name.is_empty()).map(|r| (r.name, r.title)).collect();
        Ok((roles, page.next_page_token))
    }

    /// One `getIamPolicy` asking for version 3 (design §4.1), in the shape `r`'s service wants
    /// ([`kinds::Style`]).
    pub(crate) async fn get_policy(&self, r: &ResourceId) -> crate::Result<Policy> {
        let name = r.name();
        let cx = self.cx(&name, r.kind, Call::GetIamPolicy);
        let req = match kinds::row(r.kind).style {
            Style::CrmBody => Request {
                method: reqwest::Method::POST,
                path: format!("v3/{name}:getIamPolicy"),
                query: Vec::new(),
                body: Some(json!({"options": {"requestedPolicyVersion": 3}})),
            },
            // As gcloud reads a bucket's policy (`api_lib/storage/gcs_json/client.py`,
            // `get_bucket_iam_policy`: `fields='bindings,etag'`): only what the edit needs, so
            // the write sends back the bindings, the etag and version 3, and nothing else
            // (Storage's `kind`, `resourceId` and `version` are its own to set).
            Style::StorageJson => Request {
                method: reqwest::Method::GET,
                path: format!("b/{}/iam", r.id),
                query: vec![("fields", "bindings,etag"), ("optionsRequestedPolicyVersion", "3")],
                body: None,
            },
            Style::GetWithQuery => Request {
                method: reqwest::Method::GET,
                path: format!("v1/{name}:getIamPolicy"),
                query: vec![("options.requestedPolicyVersion", "3")],
                body: None,
            },
            Style::PostWithQuery => Request {
                method: reqwest::Method::POST,
                path: format!("v1/{name}:getIamPolicy"),
                query: vec![("options.requestedPolicyVersion", "3")],
                body: None,
            },
        };
        let body = self.send(r.kind, req, &cx).await?;
        parse_policy(&body, &cx)
    }

    /// One `setIamPolicy` of `p` as given (the caller sets version and etag). No update mask:
    /// Google then updates `bindings` and `etag` only, so `auditConfigs` are never changed
    /// (design §4.4).
    pub(crate) async fn set_policy(&self, r: &ResourceId, p: &Policy) -> crate::Result<Policy> {
        let name = r.name();
        let cx = self.cx(&name, r.kind, Call::SetIamPolicy);
        let req = match kinds::row(r.kind).style {
            Style::CrmBody => Request {
                method: reqwest::Method::POST,
                path: format!("v3/{name}:setIamPolicy"),
                query: Vec::new(),
                body: Some(json!({"policy": p})),
            },
            Style::StorageJson => Request {
                method: reqwest::Method::PUT,
                path: format!("b/{}/iam", r.id),
                query: Vec::new(),
                body: Some(json!(p)),
            },
            Style::GetWithQuery | Style::PostWithQuery => Request {
                method: reqwest::Method::POST,
                path: format!("v1/{name}:setIamPolicy"),
                query: Vec::new(),
                body: Some(json!({"policy": p})),
            },
        };
        let body = self.send(r.kind, req, &cx).await?;
        parse_policy(&body, &cx)
    }

    /// One page of Cloud Logging v2 `entries.list` (`POST v2/entries:list` with a
    /// `ListLogEntriesRequest`, logging/v2/logging-api.json): the answer's body. `resource` names
    /// the scope in messages.
    pub(crate) async fn list_log_entries(&self, body: Value, resource: &str) -> crate::Result<Vec<u8>> {
        let cx = Context {
            resource,
            kind: Kind::Project,
            call: Call::ListLogEntries,
            endpoint: &self.logging.1,
            credentials: &self.credentials,
        };
        let req = Request {
            method: reqwest::Method::POST,
            path: "v2/entries:list".to_string(),
            // Compact JSON: a page of 1,000 entries is a third smaller without indentation, and
            // faster to send and to read (`prettyPrint`, a system parameter of every Google API).
            query: vec![("prettyPrint", "false")],
            body: Some(body),
        };
        let (status, headers, body) = self.exchange_at(&self.logging.0, req, &cx).await?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        Err(errors::from_answer(status, &headers, &body, &cx))
    }

    /// For messages: the endpoint of `service`.
    pub(crate) fn shown_of(&self, service: Service) -> &str {
        match service {
            Service::Pam => &self.pam.1,
            Service::Of(kind) => self.shown(kind),
        }
    }

    /// One call to `service`: `method` on `path` below its base URL, with `query` and a JSON
    /// `body`; the 2xx answer's body, or the error it maps to. The calls of src/gcp/pam/ (and
    /// the `testIamPermissions` and `versions:access` it needs) are built there.
    pub(crate) async fn call(
        &self,
        service: Service,
        method: reqwest::Method,
        path: String,
        query: Vec<(&str, &str)>,
        body: Option<Value>,
        cx: &Context<'_>,
    ) -> crate::Result<Vec<u8>> {
        let base = match service {
            Service::Pam => self.pam.0.as_str(),
            Service::Of(kind) => self.base(kind).0,
        };
        let (status, headers, body) =
            self.exchange_at(base, Request { method, path, query, body }, cx).await?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        Err(errors::from_answer(status, &headers, &body, cx))
    }

    /// For messages: Cloud Logging's endpoint.
    pub(crate) fn logging_shown(&self) -> &str {
        &self.logging.1
    }

    /// The number of the project a bucket belongs to: Cloud Storage `buckets.get`
    /// (`GET b/{bucket}?fields=projectNumber`, storage/v1/storage-api.json), whose `projectNumber`
    /// is where the bucket's audit entries are logged.
    pub(crate) async fn bucket_project_number(&self, r: &ResourceId) -> crate::Result<String> {
        let name = r.name();
        let cx = self.cx(&name, Kind::Bucket, Call::GetBucket);
        let req = Request {
            method: reqwest::Method::GET,
            path: format!("b/{}", r.id),
            query: vec![("fields", "projectNumber")],
            body: None,
        };
        let body = self.send(Kind::Bucket, req, &cx).await?;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Bucket {
            project_number: String,
        }
        let b: Bucket =
            serde_json::from_slice(&body).map_err(|e| errors::not_an_answer(&e, &cx, "a bucket"))?;
        if !crate::iam::is_number(&b.project_number) {
            return Err(bad_answer(&name, &format!("`{}` is not a project number", b.project_number)));
        }
        Ok(b.project_number)
    }

    /// One page of `folders.list?parent=`: the folders and the next page token.
    pub(crate) async fn list_folders_page(
        &self,
        parent: &ResourceId,
        page_token: &str,
    ) -> crate::Result<(Vec<ResourceId>, String)> {
        let name = parent.name();
        let cx = self.cx(&name, parent.kind, Call::ListFolders);
        let page: FoldersPage = self.list_page("v3/folders", &name, page_token, &cx).await?;
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
        let cx = self.cx(&name, parent.kind, Call::ListProjects);
        let page: ProjectsPage = self.list_page("v3/projects", &name, page_token, &cx).await?;
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

    /// Resource Manager v3 `projects.get` of `projects/NUMBER`
    /// (<https://cloud.google.com/resource-manager/reference/rest/v3/projects/get>, which takes
    /// the number or the ID): the project's ID, or `None` when the answer carries none.
    pub(crate) async fn project_id_of(&self, number: &str) -> crate::Result<Option<String>> {
        let name = format!("projects/{number}");
        let cx = self.cx(&name, Kind::Project, Call::GetProject);
        let req = Request {
            method: reqwest::Method::GET,
            path: format!("v3/{name}"),
            query: Vec::new(),
            body: None,
        };
        let body = self.send(Kind::Project, req, &cx).await?;
        let p: Named =
            serde_json::from_slice(&body).map_err(|e| errors::not_an_answer(&e, &cx, "a project"))?;
        Ok(project_number_and_id(&p).map(|(_, id)| id))
    }

    /// One page of Resource Manager v3 `projects.search` with no query ("returns projects for
    /// which the user has the `resourcemanager.projects.get` permission",
    /// <https://cloud.google.com/resource-manager/reference/rest/v3/projects/search>): each
    /// project's number and ID, and the next page token.
    pub(crate) async fn search_projects_page(
        &self,
        page_token: &str,
    ) -> crate::Result<(Vec<(String, String)>, String)> {
        let cx = self.cx("projects", Kind::Project, Call::SearchProjects);
        let mut query = vec![("pageSize", PAGE_SIZE)];
        if !page_token.is_empty() {
            query.push(("pageToken", page_token));
        }
        let req = Request {
            method: reqwest::Method::GET,
            path: "v3/projects:search".to_string(),
            query,
            body: None,
        };
        let body = self.send(Kind::Project, req, &cx).await?;
        let page: ProjectsPage = serde_json::from_slice(&body)
            .map_err(|e| errors::not_an_answer(&e, &cx, "a page of the search"))?;
        Ok((page.projects.iter().filter_map(project_number_and_id).collect(), page.next_page_token))
    }

    /// Cloud Asset's endpoint as shown in messages.
    pub(crate) fn asset_shown(&self) -> &str {
        &self.asset.1
    }

    /// One page of `GET v1/{scope}:searchAllIamPolicies`, `asset_types` repeated.
    pub(crate) async fn search_page(
        &self,
        scope: &ResourceId,
        asset_types: &[&str],
        page_size: &str,
        page_token: &str,
    ) -> crate::Result<SearchPage> {
        let name = scope.name();
        let cx = Context {
            resource: &name,
            kind: scope.kind,
            call: Call::SearchAllIamPolicies,
            endpoint: &self.asset.1,
            credentials: &self.credentials,
        };
        let mut query: Vec<(&str, &str)> = asset_types.iter().map(|t| ("assetTypes", *t)).collect();
        query.push(("pageSize", page_size));
        if !page_token.is_empty() {
            query.push(("pageToken", page_token));
        }
        let req = Request {
            method: reqwest::Method::GET,
            path: format!("v1/{name}:searchAllIamPolicies"),
            query,
            body: None,
        };
        let body = self.send(scope.kind, req, &cx).await?;
        serde_json::from_slice(&body).map_err(|e| errors::not_an_answer(&e, &cx, "a page of the search"))
    }

    async fn list_page<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        parent: &str,
        page_token: &str,
        cx: &Context<'_>,
    ) -> crate::Result<T> {
        let mut query = vec![("parent", parent), ("pageSize", PAGE_SIZE)];
        if !page_token.is_empty() {
            query.push(("pageToken", page_token));
        }
        let req = Request { method: reqwest::Method::GET, path: path.to_string(), query, body: None };
        let body = self.send(Kind::Project, req, cx).await?;
        serde_json::from_slice(&body).map_err(|e| errors::not_an_answer(&e, cx, "a page of the list"))
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct GrantablePage {
    roles: Vec<GrantableRole>,
    next_page_token: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrantableRole {
    name: String,
    title: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct FoldersPage {
    folders: Vec<Named>,
    next_page_token: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ProjectsPage {
    projects: Vec<Named>,
    next_page_token: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Named {
    name: String,
    project_id: String,
}

/// A v3 project's number (from `name: projects/NUMBER`) and ID, when the answer has both in
/// valid form.
fn project_number_and_id(p: &Named) -> Option<(String, String)> {
    let number = p.name.strip_prefix("projects/").filter(|n| crate::iam::is_number(n))?;
    let id = p.project_id.as_str();
    (!crate::iam::is_number(id) && ResourceId::project_ok(id)).then(|| (number.to_string(), id.to_string()))
}

/// A policy as Google sends it, straight into jit's type (unknown fields kept).
fn parse_policy(body: &[u8], cx: &Context<'_>) -> crate::Result<Policy> {
    let text = std::str::from_utf8(body).map_err(|_| Error::Api {
        resource: cx.resource.to_string(),
        status: None,
        message: format!(
            "the answer from `{}` to {} is not a valid policy (not UTF-8)",
            cx.endpoint,
            cx.call.verb()
        ),
    })?;
    Policy::from_json(text).map_err(|e| Error::Api {
        resource: cx.resource.to_string(),
        status: None,
        message: format!(
            "the answer from `{}` to {} is not a valid policy (cut short or not JSON): {}",
            cx.endpoint,
            cx.call.verb(),
            errors::redact(&e.to_string())
        ),
    })
}

/// Whether `body` is Google's error answer with status `NOT_FOUND`
/// (`{"error": {"code": 404, "message": "The role named … was not found.", "status": "NOT_FOUND"}}`).
fn is_not_found(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|v| v["error"]["status"] == "NOT_FOUND")
}

fn bad_answer(resource: &str, message: &str) -> Error {
    Error::Api {
        resource: resource.to_string(),
        status: None,
        message: format!("unexpected answer: {message}"),
    }
}

/// The base URL of an API whose paths start at its host's root: `--endpoint`, else the gcloud
/// override variable `var`, else Google's `default`; with how messages show it.
fn root_base(
    flag: Option<&str>,
    var: &str,
    default: &str,
    vars: &crate::config::env::Vars,
) -> crate::Result<(String, String)> {
    let from_var = if flag.is_some() {
        None
    } else {
        vars.raw(var).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    };
    if let Some(v) = &from_var {
        check_endpoint(v, &format!(" in {var}"))?;
    }
    let url = flag.map(str::to_string).or(from_var).unwrap_or_else(|| default.to_string());
    let shown = redact_userinfo(&url);
    Ok((url, shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_flag_wins_over_gclouds_variable() {
        assert_eq!(
            resolve_endpoint(Some("http://127.0.0.1:1/"), &crate::config::env::Vars::default()).as_deref(),
            Some("http://127.0.0.1:1/")
        );
        assert_eq!(resolve_endpoint(Some("  "), &crate::config::env::Vars::default()), None);
        assert_eq!(join("http://h:1/", "/oauth2/v3/tokeninfo"), "http://h:1/oauth2/v3/tokeninfo");
        assert_eq!(join("http://h:1", "oauth2/v3/tokeninfo"), "http://h:1/oauth2/v3/tokeninfo");
    }

    #[test]
    fn policies_go_on_the_wire_as_read() {
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
        let cx = Context {
            resource: "projects/p",
            kind: Kind::Project,
            call: Call::GetIamPolicy,
            endpoint: "http://h/",
            credentials: "c",
        };
        let ours = parse_policy(text.as_bytes(), &cx).unwrap();
        let a: Value = serde_json::from_str(text).unwrap();
        let b = json!({"policy": ours})["policy"].clone();
        assert_eq!(a, b, "nothing lost, nothing added");
    }
}

//! The resource kinds jit edits allow policies on, one row each: how the user names one, which
//! service holds its policy and how that service is asked for it. Adding a kind is one row here,
//! its constructor below, and its emulator routes.
//!
//! Every service speaks the same allow policy (`google.iam.v1.Policy`) through its own
//! `getIamPolicy` / `setIamPolicy`; they differ in the HTTP method, where the request for policy
//! version 3 goes, and the path. Each row was checked against the service's discovery document
//! (googleapis/google-api-go-client: `cloudresourcemanager/v3/cloudresourcemanager-api.json`,
//! `storage/v1/storage-api.json`, `secretmanager/v1/secretmanager-api.json`,
//! `iam/v1/iam-api.json`, `cloudkms/v1/cloudkms-api.json`, `run/v1/run-api.json`) and against the
//! method tables of gcloud 528's generated clients
//! (`googlecloudsdk/generated_clients/apis/<api>/<version>/<api>_<version>_client.py`), which are
//! built from the same documents. Cloud Run is `run/v1`: gcloud's `run services
//! get-iam-policy` is a declarative command on `run.projects.locations.services`, and `v1` is
//! the default version of `run` in gcloud's `apis_map.py`.
//!
//! Which kinds accept conditional role bindings: "Resource types that accept conditional role
//! bindings", <https://cloud.google.com/iam/help/conditions/resource-policies> (Resource Manager
//! projects, folders and organizations; Cloud Storage buckets, "available for buckets that use
//! uniform bucket-level access"; Secret Manager secrets; Cloud KMS key rings and crypto keys;
//! Cloud Run services). IAM service accounts are not on that list, yet they do accept conditional
//! bindings: Terraform's acceptance tests, run against Google, write and read back
//! `request.time < timestamp(…)` on a service account's policy
//! (hashicorp/terraform-provider-google `resource_google_service_account_iam_test.go`,
//! `TestAccServiceAccountIamMember_withCondition`; enabled by GoogleCloudPlatform/magic-modules#2372),
//! and Google's Config Connector reference marks `IAMServiceAccount` "Supports IAM Conditions: Yes"
//! (<https://cloud.google.com/config-connector/docs/reference/resource-docs/iam/iamserviceaccount>).
//! What Google does is what counts, so jit grants on them.

use crate::error::Error;
use crate::iam::{Kind, ResourceId, is_domain, is_number};

/// How a service's `getIamPolicy` / `setIamPolicy` are called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Cloud Resource Manager v3: `POST {name}:getIamPolicy` with
    /// `{"options": {"requestedPolicyVersion": 3}}`; `POST {name}:setIamPolicy` with
    /// `{"policy": …}`.
    CrmBody,
    /// Cloud Storage JSON API: `GET b/{bucket}/iam?fields=bindings,etag&optionsRequestedPolicyVersion=3`
    /// (gcloud's read); `PUT b/{bucket}/iam` with the policy itself as the body.
    StorageJson,
    /// Secret Manager, Cloud KMS, Cloud Run v1: `GET v1/{name}:getIamPolicy?options.requestedPolicyVersion=3`;
    /// `POST v1/{name}:setIamPolicy` with `{"policy": …}`.
    GetWithQuery,
    /// IAM v1 service accounts: `POST v1/{name}:getIamPolicy?options.requestedPolicyVersion=3`
    /// with no body; `POST v1/{name}:setIamPolicy` with `{"policy": …}`.
    PostWithQuery,
}

/// Whether a kind accepts conditional role bindings (jit's grants are all conditional).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conditions {
    Accepted,
    /// Only on buckets with uniform bucket-level access; Google answers 400 otherwise.
    UniformBucketAccessOnly,
    /// Google refuses a conditional binding on this kind, so jit refuses the grant before anything
    /// is sent (`gcp::refuse_conditions`). No kind in the table refuses them today; the next one
    /// that does (Pub/Sub topics, say) is one row with this value.
    #[allow(dead_code)]
    Refused,
}

/// One kind of resource.
#[derive(Debug)]
pub struct Row {
    pub kind: Kind,
    /// For messages: `project`, `bucket`, `secret`, ….
    pub noun: &'static str,
    /// The flag that names one, and the forms it takes.
    pub flag: &'static str,
    pub forms: &'static str,
    /// Google's host, which is also the service of the full resource name (`//HOST/NAME`).
    pub host: &'static str,
    /// The path of gcloud's base URL for the API (`storage/v1/` for Storage, empty for the others,
    /// whose method paths start with their version).
    pub base_path: &'static str,
    /// gcloud's `api_endpoint_overrides/<api>` property as an environment variable.
    pub override_var: &'static str,
    pub style: Style,
    /// The permissions `getIamPolicy` and `setIamPolicy` need, named on a 403.
    pub get_permission: &'static str,
    pub set_permission: &'static str,
    pub conditions: Conditions,
}

const CRM_HOST: &str = "cloudresourcemanager.googleapis.com";
const CRM_VAR: &str = "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER";

/// Every kind. Paths, methods and query parameters: the discovery documents named above;
/// permissions: each method's REST reference ("Authorization scopes" / "IAM Permissions"), e.g.
/// <https://cloud.google.com/storage/docs/json_api/v1/buckets/setIamPolicy>.
pub static ROWS: [Row; 9] = [
    Row {
        kind: Kind::Project,
        noun: "project",
        flag: "--project",
        forms: "ID",
        host: CRM_HOST,
        base_path: "",
        override_var: CRM_VAR,
        style: Style::CrmBody,
        get_permission: "resourcemanager.projects.getIamPolicy",
        set_permission: "resourcemanager.projects.setIamPolicy",
        conditions: Conditions::Accepted,
    },
    Row {
        kind: Kind::Folder,
        noun: "folder",
        flag: "--folder",
        forms: "NUMBER",
        host: CRM_HOST,
        base_path: "",
        override_var: CRM_VAR,
        style: Style::CrmBody,
        get_permission: "resourcemanager.folders.getIamPolicy",
        set_permission: "resourcemanager.folders.setIamPolicy",
        conditions: Conditions::Accepted,
    },
    Row {
        kind: Kind::Organization,
        noun: "organization",
        flag: "--organization",
        forms: "NUMBER",
        host: CRM_HOST,
        base_path: "",
        override_var: CRM_VAR,
        style: Style::CrmBody,
        get_permission: "resourcemanager.organizations.getIamPolicy",
        set_permission: "resourcemanager.organizations.setIamPolicy",
        conditions: Conditions::Accepted,
    },
    // storage.buckets.getIamPolicy: GET b/{bucket}/iam, query optionsRequestedPolicyVersion;
    // storage.buckets.setIamPolicy: PUT b/{bucket}/iam, request body Policy. gcloud's base URL is
    // https://storage.googleapis.com/storage/v1/ (storage_v1_client.py BASE_URL).
    Row {
        kind: Kind::Bucket,
        noun: "bucket",
        flag: "--bucket",
        forms: "NAME or gs://NAME",
        host: "storage.googleapis.com",
        base_path: "storage/v1/",
        override_var: "CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE",
        style: Style::StorageJson,
        get_permission: "storage.buckets.getIamPolicy",
        set_permission: "storage.buckets.setIamPolicy",
        conditions: Conditions::UniformBucketAccessOnly,
    },
    // secretmanager.projects.secrets.getIamPolicy: GET v1/{+resource}:getIamPolicy, query
    // options.requestedPolicyVersion; setIamPolicy: POST, body SetIamPolicyRequest.
    Row {
        kind: Kind::Secret,
        noun: "secret",
        flag: "--secret",
        forms: "NAME (in --project, else the default project) or projects/P/secrets/NAME",
        host: "secretmanager.googleapis.com",
        base_path: "",
        override_var: "CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER",
        style: Style::GetWithQuery,
        get_permission: "secretmanager.secrets.getIamPolicy",
        set_permission: "secretmanager.secrets.setIamPolicy",
        conditions: Conditions::Accepted,
    },
    // iam.projects.serviceAccounts.getIamPolicy: POST v1/{+resource}:getIamPolicy, query
    // options.requestedPolicyVersion, no request body; setIamPolicy: POST, SetIamPolicyRequest.
    Row {
        kind: Kind::ServiceAccount,
        noun: "service account",
        flag: "--service-account",
        forms: "EMAIL",
        host: "iam.googleapis.com",
        base_path: "",
        override_var: "CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM",
        style: Style::PostWithQuery,
        get_permission: "iam.serviceAccounts.getIamPolicy",
        set_permission: "iam.serviceAccounts.setIamPolicy",
        // Not on Google's list, but accepted: see the module's comment.
        conditions: Conditions::Accepted,
    },
    // cloudkms.projects.locations.keyRings.getIamPolicy / …cryptoKeys.getIamPolicy: GET
    // v1/{+resource}:getIamPolicy, query options.requestedPolicyVersion; setIamPolicy: POST.
    Row {
        kind: Kind::KmsKeyRing,
        noun: "KMS key ring",
        flag: "--kms-keyring",
        forms: "projects/P/locations/L/keyRings/R",
        host: "cloudkms.googleapis.com",
        base_path: "",
        override_var: "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS",
        style: Style::GetWithQuery,
        get_permission: "cloudkms.keyRings.getIamPolicy",
        set_permission: "cloudkms.keyRings.setIamPolicy",
        conditions: Conditions::Accepted,
    },
    Row {
        kind: Kind::KmsCryptoKey,
        noun: "KMS crypto key",
        flag: "--kms-key",
        forms: "projects/P/locations/L/keyRings/R/cryptoKeys/K",
        host: "cloudkms.googleapis.com",
        base_path: "",
        override_var: "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS",
        style: Style::GetWithQuery,
        get_permission: "cloudkms.cryptoKeys.getIamPolicy",
        set_permission: "cloudkms.cryptoKeys.setIamPolicy",
        conditions: Conditions::Accepted,
    },
    // run.projects.locations.services.getIamPolicy (run/v1): GET v1/{+resource}:getIamPolicy,
    // query options.requestedPolicyVersion; setIamPolicy: POST, SetIamPolicyRequest.
    Row {
        kind: Kind::RunService,
        noun: "Cloud Run service",
        flag: "--run-service",
        forms: "projects/P/locations/L/services/S, or S with --region",
        host: "run.googleapis.com",
        base_path: "",
        override_var: "CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN",
        style: Style::GetWithQuery,
        get_permission: "run.services.getIamPolicy",
        set_permission: "run.services.setIamPolicy",
        conditions: Conditions::Accepted,
    },
];

/// The row of `kind`.
pub fn row(kind: Kind) -> &'static Row {
    // Every kind has a row (tests::every_kind_has_one_row).
    ROWS.iter().find(|r| r.kind == kind).unwrap_or(&ROWS[0])
}

/// The base URL of `row`'s API: `--endpoint` (one base for every service, Storage under
/// `{base}/storage/v1/`), else the service's gcloud override variable as gcloud reads it, else
/// Google's host.
///
/// gcloud (`apis_internal._BuildEndpointOverride`) takes the override as it is when the API's
/// base path is `/` or the override has a path of its own; otherwise it keeps the override's
/// scheme and host and puts the API's base path on them. So
/// `CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE=http://h:1/storage/v1/` and `http://h:1/` both give
/// `http://h:1/storage/v1/`.
pub fn base_url(row: &Row, endpoint_flag: Option<&str>, var: Option<&str>) -> String {
    // A base without a path of the API's own is kept as given, so that messages name the
    // endpoint as the user wrote it.
    if let Some(e) = endpoint_flag {
        if row.base_path.is_empty() {
            return e.to_string();
        }
        return format!("{}/{}", e.trim_end_matches('/'), row.base_path);
    }
    if let Some(o) = var.map(str::trim).filter(|o| !o.is_empty()) {
        let path_is_root = reqwest::Url::parse(o).map(|u| u.path() == "/").unwrap_or(false);
        if row.base_path.is_empty() || !path_is_root {
            return o.to_string();
        }
        return format!("{}/{}", o.trim_end_matches('/'), row.base_path);
    }
    if row.base_path.is_empty() {
        return format!("https://{}", row.host);
    }
    format!("https://{}/{}", row.host, row.base_path)
}

fn bad(what: &str, given: &str, hint: String) -> Error {
    Error::usage_hint(format!("`{given}` is not a valid {what}"), hint)
}

/// `[a-zA-Z0-9_-]{1,max}`.
fn is_id(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A location: `us-central1`, `europe-west4`, `global`, `us`.
fn is_location(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn project_part(p: &str) -> bool {
    ResourceId::project_ok(p)
}

impl ResourceId {
    /// A bucket: `NAME` or `gs://NAME`. Names: 3–63 characters (222 with dots) of lowercase
    /// letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit
    /// (<https://cloud.google.com/storage/docs/buckets#naming>).
    pub fn bucket(s: &str) -> Result<ResourceId, Error> {
        let name = s.strip_prefix("gs://").unwrap_or(s).trim_end_matches('/');
        let b = name.as_bytes();
        let max = if name.contains('.') { 222 } else { 63 };
        let ok = (3..=max).contains(&b.len())
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"-_.".contains(c))
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && name.split('.').all(|part| !part.is_empty() && part.len() <= 63);
        if !ok {
            return Err(bad(
                "bucket name",
                s,
                "bucket names are 3 to 63 lowercase letters, digits, `-`, `_` and `.`: `--bucket my-bucket` or `gs://my-bucket`"
                    .into(),
            ));
        }
        Ok(ResourceId { kind: Kind::Bucket, id: name.to_string() })
    }

    /// A secret: `projects/P/secrets/S`, or `S` in `default_project`. Secret IDs are up to 255
    /// letters, digits, `-` and `_` (<https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/create>).
    pub fn secret(s: &str, default_project: Option<&str>) -> Result<ResourceId, Error> {
        let hint = || "use `projects/PROJECT/secrets/NAME`, or NAME with a default project".to_string();
        let parts: Vec<&str> = s.split('/').collect();
        let (project, secret) = match parts.as_slice() {
            ["projects", p, "secrets", id] => (p.to_string(), *id),
            [id] => match default_project {
                Some(p) => (p.to_string(), *id),
                None => {
                    return Err(Error::usage_hint(
                        format!("the secret `{s}` names no project, and there is no default project"),
                        "use `projects/PROJECT/secrets/NAME`, pass --project PROJECT, or set a default project \
                         (CLOUDSDK_CORE_PROJECT or `gcloud config set project`)",
                    ));
                }
            },
            _ => return Err(bad("secret name", s, hint())),
        };
        if !project_part(&project) || !is_id(secret, 255) {
            return Err(bad("secret name", s, hint()));
        }
        Ok(ResourceId { kind: Kind::Secret, id: format!("projects/{project}/secrets/{secret}") })
    }

    /// A service account: its e-mail (`NAME@PROJECT.iam.gserviceaccount.com`, or a Google-managed
    /// `…@developer.gserviceaccount.com` / `…@appspot.gserviceaccount.com`), its numeric unique ID,
    /// or `projects/P/serviceAccounts/EMAIL`. Google accepts `-` for the project
    /// (<https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/getIamPolicy>),
    /// as gcloud sends it.
    pub fn service_account(s: &str) -> Result<ResourceId, Error> {
        let account = match s.split('/').collect::<Vec<_>>().as_slice() {
            ["projects", p, "serviceAccounts", a] if *p == "-" || project_part(p) => a.to_string(),
            [a] => a.to_string(),
            _ => String::new(),
        };
        let ok = match account.rsplit_once('@') {
            Some((local, domain)) => {
                is_id(local, 64) && domain.ends_with(".gserviceaccount.com") && is_domain(domain)
            }
            None => is_number(&account),
        };
        if !ok {
            return Err(bad(
                "service account",
                s,
                "name it by e-mail: `--service-account ci@my-project.iam.gserviceaccount.com`".into(),
            ));
        }
        Ok(ResourceId { kind: Kind::ServiceAccount, id: account.to_ascii_lowercase() })
    }

    /// A key ring: `projects/P/locations/L/keyRings/R`.
    pub fn kms_keyring(s: &str) -> Result<ResourceId, Error> {
        match s.split('/').collect::<Vec<_>>().as_slice() {
            ["projects", p, "locations", l, "keyRings", r]
                if project_part(p) && is_location(l) && is_id(r, 63) =>
            {
                Ok(ResourceId { kind: Kind::KmsKeyRing, id: s.to_string() })
            }
            _ => Err(bad("KMS key ring", s, "use the full name: `projects/P/locations/L/keyRings/R`".into())),
        }
    }

    /// A crypto key: `projects/P/locations/L/keyRings/R/cryptoKeys/K`.
    pub fn kms_key(s: &str) -> Result<ResourceId, Error> {
        match s.split('/').collect::<Vec<_>>().as_slice() {
            ["projects", p, "locations", l, "keyRings", r, "cryptoKeys", k]
                if project_part(p) && is_location(l) && is_id(r, 63) && is_id(k, 63) =>
            {
                Ok(ResourceId { kind: Kind::KmsCryptoKey, id: s.to_string() })
            }
            _ => Err(bad(
                "KMS crypto key",
                s,
                "use the full name: `projects/P/locations/L/keyRings/R/cryptoKeys/K`".into(),
            )),
        }
    }

    /// A Cloud Run service: `projects/P/locations/L/services/S`, or `S` with `region` in
    /// `default_project`. Service names are up to 49 lowercase letters, digits and hyphens,
    /// starting with a letter and not ending with a hyphen
    /// (<https://cloud.google.com/run/docs/reference/rest/v1/namespaces.services#ObjectMeta>).
    pub fn run_service(
        s: &str,
        region: Option<&str>,
        default_project: Option<&str>,
    ) -> Result<ResourceId, Error> {
        let hint = || "use `projects/P/locations/REGION/services/NAME`, or NAME with --region".to_string();
        let (project, location, name) = match s.split('/').collect::<Vec<_>>().as_slice() {
            ["projects", p, "locations", l, "services", n] => (p.to_string(), l.to_string(), n.to_string()),
            [n] => {
                let Some(region) = region else {
                    return Err(Error::usage_hint(
                        format!("the Cloud Run service `{s}` needs a region"),
                        "pass --region REGION, or the full name `projects/P/locations/REGION/services/NAME`",
                    ));
                };
                let Some(project) = default_project else {
                    return Err(Error::usage_hint(
                        format!(
                            "the Cloud Run service `{s}` names no project, and there is no default project"
                        ),
                        "use `projects/P/locations/REGION/services/NAME`, pass --project P, or set a default \
                         project (CLOUDSDK_CORE_PROJECT or `gcloud config set project`)",
                    ));
                };
                (project.to_string(), region.to_string(), n.to_string())
            }
            _ => return Err(bad("Cloud Run service", s, hint())),
        };
        let b = name.as_bytes();
        let name_ok = (1..=49).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b[b.len() - 1] != b'-'
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        if !project_part(&project) || !is_location(&location) || !name_ok {
            return Err(bad("Cloud Run service", s, hint()));
        }
        Ok(ResourceId {
            kind: Kind::RunService,
            id: format!("projects/{project}/locations/{location}/services/{name}"),
        })
    }

    /// A full resource name, as Cloud Asset Inventory and Cloud Audit Logs write them
    /// (<https://cloud.google.com/asset-inventory/docs/resource-name-format>):
    /// `//cloudresourcemanager.googleapis.com/projects/P`, `//storage.googleapis.com/projects/_/buckets/B`,
    /// `//secretmanager.googleapis.com/projects/P/secrets/S`,
    /// `//iam.googleapis.com/projects/P/serviceAccounts/EMAIL`,
    /// `//cloudkms.googleapis.com/projects/P/locations/L/keyRings/R[/cryptoKeys/K]`,
    /// `//run.googleapis.com/projects/P/locations/L/services/S`.
    pub fn full_name(s: &str) -> Result<ResourceId, Error> {
        let unknown = || {
            Error::usage_hint(
                format!("`{s}` is not a full resource name jit knows"),
                "use //SERVICE.googleapis.com/NAME for a project, folder, organization, bucket, secret, \
                 service account, KMS key ring or key, or Cloud Run service",
            )
        };
        let Some((host, name)) = s.strip_prefix("//").and_then(|r| r.split_once('/')) else {
            return Err(unknown());
        };
        match host {
            CRM_HOST => name.parse(),
            "storage.googleapis.com" => match name.strip_prefix("projects/_/buckets/") {
                Some(b) if !b.contains('/') => ResourceId::bucket(b),
                _ => Err(unknown()),
            },
            "secretmanager.googleapis.com" => ResourceId::secret(name, None).map_err(|_| unknown()),
            "iam.googleapis.com" if name.starts_with("projects/") => ResourceId::service_account(name),
            "cloudkms.googleapis.com" if name.contains("/cryptoKeys/") => ResourceId::kms_key(name),
            "cloudkms.googleapis.com" => ResourceId::kms_keyring(name),
            "run.googleapis.com" if name.starts_with("projects/") => {
                ResourceId::run_service(name, None, None)
            }
            _ => Err(unknown()),
        }
    }

    /// The full resource name: `//HOST/NAME`.
    pub fn to_full_name(&self) -> String {
        format!("//{}/{}", row(self.kind).host, self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_row() {
        for kind in [
            Kind::Organization,
            Kind::Folder,
            Kind::Project,
            Kind::Bucket,
            Kind::Secret,
            Kind::ServiceAccount,
            Kind::KmsKeyRing,
            Kind::KmsCryptoKey,
            Kind::RunService,
        ] {
            assert_eq!(ROWS.iter().filter(|r| r.kind == kind).count(), 1, "{kind:?}");
            assert_eq!(row(kind).kind, kind);
        }
    }

    #[test]
    fn base_urls_follow_the_flag_then_gclouds_rule_then_google() {
        let storage = row(Kind::Bucket);
        let crm = row(Kind::Project);
        assert_eq!(base_url(storage, Some("http://h:1/"), None), "http://h:1/storage/v1/");
        assert_eq!(base_url(crm, Some("http://h:1"), None), "http://h:1");
        assert_eq!(base_url(storage, None, Some("http://h:1/storage/v1/")), "http://h:1/storage/v1/");
        assert_eq!(base_url(storage, None, Some("http://h:1/")), "http://h:1/storage/v1/");
        assert_eq!(base_url(storage, None, Some("http://h:1/other/")), "http://h:1/other/");
        assert_eq!(base_url(row(Kind::Secret), None, Some("http://h:2/")), "http://h:2/");
        assert_eq!(base_url(storage, None, None), "https://storage.googleapis.com/storage/v1/");
        assert_eq!(base_url(row(Kind::RunService), None, Some(" ")), "https://run.googleapis.com");
        assert_eq!(base_url(crm, None, None), super::super::DEFAULT_ENDPOINT);
    }

    #[test]
    fn names_in_every_form() {
        let b = ResourceId::bucket("gs://my-bucket/").unwrap();
        assert_eq!((b.id.as_str(), b.name()), ("my-bucket", "projects/_/buckets/my-bucket".to_string()));
        assert_eq!(b.to_full_name(), "//storage.googleapis.com/projects/_/buckets/my-bucket");
        let s = ResourceId::secret("db-password", Some("my-project")).unwrap();
        assert_eq!(s.name(), "projects/my-project/secrets/db-password");
        assert_eq!(
            ResourceId::secret("projects/p-123456/secrets/x_1", None).unwrap().name(),
            "projects/p-123456/secrets/x_1"
        );
        let sa = ResourceId::service_account("CI@my-project.iam.gserviceaccount.com").unwrap();
        assert_eq!(sa.name(), "projects/-/serviceAccounts/ci@my-project.iam.gserviceaccount.com");
        let r = ResourceId::run_service("api", Some("europe-west4"), Some("my-project")).unwrap();
        assert_eq!(r.name(), "projects/my-project/locations/europe-west4/services/api");
        let k = "projects/my-project/locations/global/keyRings/ring/cryptoKeys/key";
        assert_eq!(ResourceId::kms_key(k).unwrap().name(), k);
        for full in [
            "//cloudresourcemanager.googleapis.com/projects/my-project",
            "//cloudresourcemanager.googleapis.com/folders/123",
            "//storage.googleapis.com/projects/_/buckets/my-bucket",
            "//secretmanager.googleapis.com/projects/my-project/secrets/s",
            "//iam.googleapis.com/projects/-/serviceAccounts/ci@my-project.iam.gserviceaccount.com",
            "//cloudkms.googleapis.com/projects/my-project/locations/global/keyRings/ring",
            "//cloudkms.googleapis.com/projects/my-project/locations/global/keyRings/ring/cryptoKeys/key",
            "//run.googleapis.com/projects/my-project/locations/europe-west4/services/api",
        ] {
            assert_eq!(ResourceId::full_name(full).unwrap().to_full_name(), full);
        }
    }

    #[test]
    fn bad_names_are_usage_errors_with_the_name() {
        let cases: [(Result<ResourceId, Error>, &str); 9] = [
            (ResourceId::bucket("ab"), "`ab` is not a valid bucket name"),
            (ResourceId::bucket("gs://My_Bucket"), "`gs://My_Bucket` is not a valid bucket name"),
            (ResourceId::secret("a/b", Some("my-project")), "`a/b` is not a valid secret name"),
            (
                ResourceId::secret("s", None),
                "the secret `s` names no project, and there is no default project",
            ),
            (
                ResourceId::service_account("bob@example.com"),
                "`bob@example.com` is not a valid service account",
            ),
            (
                ResourceId::kms_key("projects/p/keyRings/r"),
                "`projects/p/keyRings/r` is not a valid KMS crypto key",
            ),
            (
                ResourceId::run_service("api", None, Some("my-project")),
                "the Cloud Run service `api` needs a region",
            ),
            (
                ResourceId::full_name("//compute.googleapis.com/projects/p/zones/z/instances/i"),
                "`//compute.googleapis.com/projects/p/zones/z/instances/i` is not a full resource name jit knows",
            ),
            (ResourceId::full_name("projects/p"), "`projects/p` is not a full resource name jit knows"),
        ];
        for (result, want) in cases {
            let e = result.unwrap_err();
            assert_eq!(e.to_string(), want);
            assert_eq!(e.exit_code(), 2, "{want}");
        }
    }
}

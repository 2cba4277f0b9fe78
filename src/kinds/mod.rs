//! The resource kinds jit edits allow policies on, one definition ([`Row`]) each: everything jit
//! knows about a kind is there — its scope flag and the forms it takes, its relative and full
//! names, the service (host, gcloud's override variable, how `getIamPolicy` asks for version 3),
//! the permissions named on a 403 and the ones that apply to it, whether it takes conditions,
//! Cloud Asset Inventory's type, how Cloud Audit Logs name a change of its policy, how its writes
//! are paced. [`ResourceId`] and its checked constructors are in `resource_id.rs`, beside it.
//!
//! Adding a kind (docs/design.md §7): a [`Kind`] variant and its [`Row`] in [`ROWS`] here, its
//! constructor in `resource_id.rs`; then the emulator's service (emulator/src/server/) and tests.
//! Nothing else in src/ names a kind: the CLI's flags, the scopes, the client's paths, history's
//! query, the role check and the pacer all read the row.
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

mod resource_id;

use std::fmt;

use crate::error::Error;

/// The kind of resource an allow policy is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Organization,
    Folder,
    Project,
    /// A Cloud Storage bucket; `id` is the bucket's name.
    Bucket,
    /// A Secret Manager secret; `id` is `projects/P/secrets/S`.
    Secret,
    /// An IAM service account; `id` is its e-mail.
    ServiceAccount,
    /// A Cloud KMS key ring; `id` is `projects/P/locations/L/keyRings/R`.
    KmsKeyRing,
    /// A Cloud KMS crypto key; `id` is `projects/P/locations/L/keyRings/R/cryptoKeys/K`.
    KmsCryptoKey,
    /// A Cloud Run service; `id` is `projects/P/locations/L/services/S`.
    RunService,
}

/// A resource jit reads and writes allow policies on: `projects/ID`, `folders/N`,
/// `organizations/N`, or one of the other kinds of [`ROWS`] (a bucket, a secret, …). Built only
/// through the checked constructors of `resource_id.rs`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId {
    pub kind: Kind,
    pub id: String,
}

impl ResourceId {
    /// The resource's relative name in its service: `projects/ID`, `folders/N`,
    /// `organizations/N`, `projects/_/buckets/B`, `projects/-/serviceAccounts/EMAIL`, or the full
    /// name a secret, key ring, crypto key or Run service is given by. With the service's host in
    /// front (`//storage.googleapis.com/…`) it is the full resource name of Cloud Asset Inventory.
    pub fn name(&self) -> String {
        (row(self.kind).name)(&self.id)
    }

    /// The collection, for messages: `projects`, `folders`, `organizations`, `buckets`, ….
    pub fn collection(&self) -> &'static str {
        row(self.kind).collection
    }

    /// Whether this is a project, folder or organization (Cloud Resource Manager's kinds, the
    /// ones with descendants and a default).
    pub fn is_container(&self) -> bool {
        matches!(self.kind, Kind::Project | Kind::Folder | Kind::Organization)
    }

    /// The full resource name: `//HOST/NAME`.
    pub fn to_full_name(&self) -> String {
        format!("//{}/{}", row(self.kind).host, self.name())
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

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

/// How Cloud Asset Inventory's search names a resource of a kind in its results
/// (<https://cloud.google.com/asset-inventory/docs/resource-name-format>; src/gcp/asset.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetName {
    /// By its full resource name, as `--resource` takes it.
    Full,
    /// With its project's number for the ID (`projects/NUMBER`, `projects/NUMBER/secrets/S`): the
    /// ID is read back from the other results that name both.
    ProjectNumber,
    /// `//HOST/NAME`, short for the full name of the resource whose id is `NAME`
    /// (`//storage.googleapis.com/B`).
    Short,
}

/// How Cloud Audit Logs record a change of a kind's policy, for `jit history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct History {
    /// The `protoPayload.methodName` of the write: `None` matches any method that has
    /// `SetIamPolicy` in its name (`SetIamPolicy`, `google.iam.admin.v1.SetIAMPolicy`,
    /// `google.cloud.run.v1.Services.SetIamPolicy`, …; `:` compares without case); `Some` is the
    /// exact name (Storage's `storage.setIamPermissions`).
    pub method: Option<&'static str>,
    /// Which project's, folder's or organization's log holds the entries.
    pub log: Log,
    /// How the query narrows the entries to the resource, and how an entry is checked to be about it.
    pub narrow: Narrow,
}

/// The container whose Admin Activity log holds a kind's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    /// The resource's own (a project, folder or organization).
    Own,
    /// The project that holds the bucket, by number, asked of Cloud Storage.
    BucketProject,
    /// The project its name starts with (`projects/P/…`).
    ProjectInName,
    /// The project its e-mail names (`NAME@PROJECT.iam.gserviceaccount.com`, …).
    ServiceAccountProject,
}

/// How the query for a kind's entries names the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Narrow {
    /// `resource.type` (the container's own log holds only its own entries).
    ResourceType,
    /// `protoPayload.resourceName` is the resource's name.
    ResourceName,
    /// `resource.labels.email_id` is the service account's e-mail.
    EmailLabel,
    /// `protoPayload.resourceName` ends with `/COLLECTION/LAST` (the service names the project by
    /// number); with `location`, the entry's `resource.labels.location` must be the resource's.
    LastSegment { location: bool },
}

/// Reads a scope flag's value, with the project a bare name is in and --region.
pub type FromFlag = fn(&str, Option<&str>, Option<&str>) -> Result<ResourceId, Error>;

/// One kind of resource: everything jit knows about it.
#[derive(Debug)]
pub struct Row {
    pub kind: Kind,
    /// For messages: `project`, `bucket`, `secret`, ….
    pub noun: &'static str,
    /// The collection in its names, for messages: `projects`, `buckets`, `serviceAccounts`, ….
    pub collection: &'static str,
    /// The scope flag that names one (`--bucket`), and the forms it takes.
    pub flag: &'static str,
    pub forms: &'static str,
    /// The flag's clap id (`service_account`), value name and help, as `--help`, the man pages and
    /// the completions show them (src/cli/scope_flags.rs).
    pub arg_id: &'static str,
    pub value_name: &'static str,
    pub help: &'static str,
    /// Reads the flag's value: `project` is the project a bare name is in (when the kind has bare
    /// names), `region` is --region (when it takes one).
    pub from_flag: FromFlag,
    /// Whether a bare name (no `/`) is in a project: --project's, else the default one.
    pub bare_in_project: bool,
    /// Whether --region says where a bare name is.
    pub takes_region: bool,
    /// The relative name of the resource whose id is `id`: `projects/_/buckets/B`, ….
    pub name: fn(&str) -> String,
    /// Reads a full resource name's relative part on this kind's host: `None` when it is not one
    /// of this kind's.
    pub from_full_name: fn(&str) -> Option<Result<ResourceId, Error>>,
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
    /// The resource types (`SERVICE.RESOURCE` of a permission's name) whose permissions apply to
    /// one: its own type and the types beneath it; `None` for the hierarchy, where every role
    /// applies (src/roles.rs, `applies_to`).
    pub permission_types: Option<(&'static str, &'static [&'static str])>,
    /// For the hierarchy (`permission_types` is `None`): the permissions of what lies above or
    /// beside it, none of which applies to it, each a prefix ending in `.` or a whole permission (a
    /// project holds no organization, folder or billing account, and is created and listed in its
    /// parent; src/roles.rs, `applies_to`).
    pub above: &'static [&'static str],
    /// The least role that lets a principal set this kind's policy, named by `jit delegate`:
    /// "Projects: Project IAM Admin; Folders: Folder IAM Admin; Organizations: Organization Admin"
    /// (<https://cloud.google.com/iam/docs/setting-limits-on-granting-roles>). `None`: the kind
    /// does not take a delegation ("only projects, folders, and organizations accept conditions to
    /// limit role granting").
    pub admin_role: Option<&'static str>,
    pub conditions: Conditions,
    /// Cloud Asset Inventory's asset type for the kind, as `searchAllIamPolicies` takes it in
    /// `assetTypes` and names it in `assetType`
    /// (<https://cloud.google.com/asset-inventory/docs/supported-asset-types>).
    pub asset_type: &'static str,
    /// How the search's results name one ([`AssetName`]).
    pub asset_name: AssetName,
    pub history: History,
    /// Whether writes are paced per resource rather than per service (Cloud Storage: one write a
    /// second per bucket, <https://cloud.google.com/storage/quotas>).
    pub paced_per_resource: bool,
}

const CRM_HOST: &str = "cloudresourcemanager.googleapis.com";
const CRM_VAR: &str = "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER";

/// A container's history: its own log, its own entries.
const CONTAINER_HISTORY: History = History { method: None, log: Log::Own, narrow: Narrow::ResourceType };

/// A project, folder or organization by its relative name on Resource Manager's host.
fn container_from_full_name(name: &str) -> Option<Result<ResourceId, Error>> {
    Some(name.parse())
}

fn project_name(id: &str) -> String {
    format!("projects/{id}")
}

fn folder_name(id: &str) -> String {
    format!("folders/{id}")
}

fn organization_name(id: &str) -> String {
    format!("organizations/{id}")
}

/// The name of a kind whose id is its full relative name.
fn id_is_name(id: &str) -> String {
    id.to_string()
}

/// Every kind. Paths, methods and query parameters: the discovery documents named above;
/// permissions: each method's REST reference ("Authorization scopes" / "IAM Permissions"), e.g.
/// <https://cloud.google.com/storage/docs/json_api/v1/buckets/setIamPolicy>. The order is the
/// order of the scope flags in `--help` and of the scopes a command works on.
pub static ROWS: [Row; 9] = [
    Row {
        kind: Kind::Project,
        noun: "project",
        collection: "projects",
        flag: "--project",
        arg_id: "project",
        forms: "ID",
        value_name: "ID",
        help: "Project ID to work on (repeatable; a number or `projects/ID` works too, and is shown by ID). Default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or the \
               active gcloud configuration's project. With a bare --secret or --run-service name, it says which \
               project that name is in (as in gcloud) and its own policy is left alone",
        from_flag: |s, _, _| ResourceId::project(s.strip_prefix("projects/").unwrap_or(s)),
        bare_in_project: false,
        takes_region: false,
        name: project_name,
        from_full_name: container_from_full_name,
        host: CRM_HOST,
        base_path: "",
        override_var: CRM_VAR,
        style: Style::CrmBody,
        get_permission: "resourcemanager.projects.getIamPolicy",
        set_permission: "resourcemanager.projects.setIamPolicy",
        permission_types: None,
        above: &[
            "resourcemanager.organizations.",
            "resourcemanager.folders.",
            "billing.accounts.",
            "resourcemanager.projects.create",
            "resourcemanager.projects.list",
        ],
        admin_role: Some("roles/resourcemanager.projectIamAdmin"),
        conditions: Conditions::Accepted,
        asset_type: "cloudresourcemanager.googleapis.com/Project",
        asset_name: AssetName::ProjectNumber,
        history: CONTAINER_HISTORY,
        paced_per_resource: false,
    },
    Row {
        kind: Kind::Folder,
        noun: "folder",
        collection: "folders",
        flag: "--folder",
        arg_id: "folder",
        forms: "NUMBER",
        value_name: "NUMBER",
        help: "Folder number to work on (repeatable)",
        from_flag: |s, _, _| ResourceId::folder(s),
        bare_in_project: false,
        takes_region: false,
        name: folder_name,
        // Resource Manager's names are read by the project's row (`projects/`, `folders/`,
        // `organizations/` alike).
        from_full_name: |_| None,
        host: CRM_HOST,
        base_path: "",
        override_var: CRM_VAR,
        style: Style::CrmBody,
        get_permission: "resourcemanager.folders.getIamPolicy",
        set_permission: "resourcemanager.folders.setIamPolicy",
        permission_types: None,
        above: &["resourcemanager.organizations.", "billing.accounts."],
        admin_role: Some("roles/resourcemanager.folderIamAdmin"),
        conditions: Conditions::Accepted,
        asset_type: "cloudresourcemanager.googleapis.com/Folder",
        asset_name: AssetName::Full,
        history: CONTAINER_HISTORY,
        paced_per_resource: false,
    },
    Row {
        kind: Kind::Organization,
        noun: "organization",
        collection: "organizations",
        flag: "--organization",
        arg_id: "organization",
        forms: "NUMBER",
        value_name: "NUMBER",
        help: "Organization number to work on (repeatable)",
        from_flag: |s, _, _| ResourceId::organization(s),
        bare_in_project: false,
        takes_region: false,
        name: organization_name,
        from_full_name: |_| None,
        host: CRM_HOST,
        base_path: "",
        override_var: CRM_VAR,
        style: Style::CrmBody,
        get_permission: "resourcemanager.organizations.getIamPolicy",
        set_permission: "resourcemanager.organizations.setIamPolicy",
        permission_types: None,
        above: &[],
        admin_role: Some("roles/resourcemanager.organizationAdmin"),
        conditions: Conditions::Accepted,
        asset_type: "cloudresourcemanager.googleapis.com/Organization",
        asset_name: AssetName::Full,
        history: CONTAINER_HISTORY,
        paced_per_resource: false,
    },
    // storage.buckets.getIamPolicy: GET b/{bucket}/iam, query optionsRequestedPolicyVersion;
    // storage.buckets.setIamPolicy: PUT b/{bucket}/iam, request body Policy. gcloud's base URL is
    // https://storage.googleapis.com/storage/v1/ (storage_v1_client.py BASE_URL).
    Row {
        kind: Kind::Bucket,
        noun: "bucket",
        collection: "buckets",
        flag: "--bucket",
        arg_id: "bucket",
        forms: "NAME or gs://NAME",
        value_name: "NAME",
        help: "Cloud Storage bucket to work on, `NAME` or `gs://NAME` (repeatable). Conditions need uniform \
               bucket-level access",
        from_flag: |s, _, _| ResourceId::bucket(s),
        bare_in_project: false,
        takes_region: false,
        name: |id| format!("projects/_/buckets/{id}"),
        from_full_name: |name| match name.strip_prefix("projects/_/buckets/") {
            Some(b) if !b.contains('/') => Some(ResourceId::bucket(b)),
            _ => None,
        },
        host: "storage.googleapis.com",
        base_path: "storage/v1/",
        override_var: "CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE",
        style: Style::StorageJson,
        get_permission: "storage.buckets.getIamPolicy",
        set_permission: "storage.buckets.setIamPolicy",
        permission_types: Some((
            "storage.buckets",
            &[
                "storage.objects",
                "storage.managedFolders",
                "storage.folders",
                "storage.multipartUploads",
                "storage.anywhereCaches",
                "storage.bucketOperations",
                "storage.intelligenceConfigs",
            ],
        )),
        above: &[],
        admin_role: None,
        conditions: Conditions::UniformBucketAccessOnly,
        asset_type: "storage.googleapis.com/Bucket",
        // A bucket's log is its project's, named by number; Storage's method is its own.
        asset_name: AssetName::Short,
        history: History {
            method: Some("storage.setIamPermissions"),
            log: Log::BucketProject,
            narrow: Narrow::ResourceName,
        },
        paced_per_resource: true,
    },
    // secretmanager.projects.secrets.getIamPolicy: GET v1/{+resource}:getIamPolicy, query
    // options.requestedPolicyVersion; setIamPolicy: POST, body SetIamPolicyRequest.
    Row {
        kind: Kind::Secret,
        noun: "secret",
        collection: "secrets",
        flag: "--secret",
        arg_id: "secret",
        forms: "NAME (in --project, else the default project) or projects/P/secrets/NAME",
        value_name: "SECRET",
        help: "Secret Manager secret, `projects/P/secrets/NAME`, or NAME in --project or the default project \
               (repeatable)",
        from_flag: |s, project, _| ResourceId::secret(s, project),
        bare_in_project: true,
        takes_region: false,
        name: id_is_name,
        from_full_name: |name| ResourceId::secret(name, None).ok().map(Ok),
        host: "secretmanager.googleapis.com",
        base_path: "",
        override_var: "CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER",
        style: Style::GetWithQuery,
        get_permission: "secretmanager.secrets.getIamPolicy",
        set_permission: "secretmanager.secrets.setIamPolicy",
        permission_types: Some(("secretmanager.secrets", &["secretmanager.versions"])),
        above: &[],
        admin_role: None,
        conditions: Conditions::Accepted,
        asset_type: "secretmanager.googleapis.com/Secret",
        // Secret Manager names the project by number: matched on the secret's own name.
        asset_name: AssetName::ProjectNumber,
        history: History {
            method: None,
            log: Log::ProjectInName,
            narrow: Narrow::LastSegment { location: false },
        },
        paced_per_resource: false,
    },
    // iam.projects.serviceAccounts.getIamPolicy: POST v1/{+resource}:getIamPolicy, query
    // options.requestedPolicyVersion, no request body; setIamPolicy: POST, SetIamPolicyRequest.
    Row {
        kind: Kind::ServiceAccount,
        noun: "service account",
        collection: "serviceAccounts",
        flag: "--service-account",
        arg_id: "service_account",
        forms: "EMAIL",
        value_name: "EMAIL",
        help: "IAM service account, by e-mail (repeatable): who may act as it",
        from_flag: |s, _, _| ResourceId::service_account(s),
        bare_in_project: false,
        takes_region: false,
        name: |id| format!("projects/-/serviceAccounts/{id}"),
        from_full_name: |name| name.starts_with("projects/").then(|| ResourceId::service_account(name)),
        host: "iam.googleapis.com",
        base_path: "",
        override_var: "CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM",
        style: Style::PostWithQuery,
        get_permission: "iam.serviceAccounts.getIamPolicy",
        set_permission: "iam.serviceAccounts.setIamPolicy",
        permission_types: Some((
            "iam.serviceAccounts",
            &["iam.serviceAccountKeys", "iam.serviceAccountApiKeyBindings"],
        )),
        above: &[],
        admin_role: None,
        // Not on Google's list, but accepted: see the module's comment.
        conditions: Conditions::Accepted,
        asset_type: "iam.googleapis.com/ServiceAccount",
        asset_name: AssetName::Full,
        history: History { method: None, log: Log::ServiceAccountProject, narrow: Narrow::EmailLabel },
        paced_per_resource: false,
    },
    // cloudkms.projects.locations.keyRings.getIamPolicy / …cryptoKeys.getIamPolicy: GET
    // v1/{+resource}:getIamPolicy, query options.requestedPolicyVersion; setIamPolicy: POST.
    Row {
        kind: Kind::KmsKeyRing,
        noun: "KMS key ring",
        collection: "keyRings",
        flag: "--kms-keyring",
        arg_id: "kms_keyring",
        forms: "projects/P/locations/L/keyRings/R",
        value_name: "NAME",
        help: "Cloud KMS key ring, `projects/P/locations/L/keyRings/R` (repeatable)",
        from_flag: |s, _, _| ResourceId::kms_keyring(s),
        bare_in_project: false,
        takes_region: false,
        name: id_is_name,
        from_full_name: |name| (!name.contains("/cryptoKeys/")).then(|| ResourceId::kms_keyring(name)),
        host: "cloudkms.googleapis.com",
        base_path: "",
        override_var: "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS",
        style: Style::GetWithQuery,
        get_permission: "cloudkms.keyRings.getIamPolicy",
        set_permission: "cloudkms.keyRings.setIamPolicy",
        permission_types: Some((
            "cloudkms.keyRings",
            &["cloudkms.cryptoKeys", "cloudkms.cryptoKeyVersions", "cloudkms.importJobs"],
        )),
        above: &[],
        admin_role: None,
        conditions: Conditions::Accepted,
        asset_type: "cloudkms.googleapis.com/KeyRing",
        asset_name: AssetName::Full,
        history: History { method: None, log: Log::ProjectInName, narrow: Narrow::ResourceName },
        paced_per_resource: false,
    },
    Row {
        kind: Kind::KmsCryptoKey,
        noun: "KMS crypto key",
        collection: "cryptoKeys",
        flag: "--kms-key",
        arg_id: "kms_key",
        forms: "projects/P/locations/L/keyRings/R/cryptoKeys/K",
        value_name: "NAME",
        help: "Cloud KMS crypto key, `projects/P/locations/L/keyRings/R/cryptoKeys/K` (repeatable)",
        from_flag: |s, _, _| ResourceId::kms_key(s),
        bare_in_project: false,
        takes_region: false,
        name: id_is_name,
        from_full_name: |name| name.contains("/cryptoKeys/").then(|| ResourceId::kms_key(name)),
        host: "cloudkms.googleapis.com",
        base_path: "",
        override_var: "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS",
        style: Style::GetWithQuery,
        get_permission: "cloudkms.cryptoKeys.getIamPolicy",
        set_permission: "cloudkms.cryptoKeys.setIamPolicy",
        permission_types: Some(("cloudkms.cryptoKeys", &["cloudkms.cryptoKeyVersions"])),
        above: &[],
        admin_role: None,
        conditions: Conditions::Accepted,
        asset_type: "cloudkms.googleapis.com/CryptoKey",
        asset_name: AssetName::Full,
        history: History { method: None, log: Log::ProjectInName, narrow: Narrow::ResourceName },
        paced_per_resource: false,
    },
    // run.projects.locations.services.getIamPolicy (run/v1): GET v1/{+resource}:getIamPolicy,
    // query options.requestedPolicyVersion; setIamPolicy: POST, SetIamPolicyRequest.
    Row {
        kind: Kind::RunService,
        noun: "Cloud Run service",
        collection: "services",
        flag: "--run-service",
        arg_id: "run_service",
        forms: "projects/P/locations/L/services/S, or S with --region",
        value_name: "SERVICE",
        help: "Cloud Run service, `projects/P/locations/L/services/S`, or S with --region in --project or the \
               default project (repeatable)",
        from_flag: |s, project, region| ResourceId::run_service(s, region, project),
        bare_in_project: true,
        takes_region: true,
        name: id_is_name,
        from_full_name: |name| {
            name.starts_with("projects/").then(|| ResourceId::run_service(name, None, None))
        },
        host: "run.googleapis.com",
        base_path: "",
        override_var: "CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN",
        style: Style::GetWithQuery,
        get_permission: "run.services.getIamPolicy",
        set_permission: "run.services.setIamPolicy",
        permission_types: Some(("run.services", &["run.routes", "run.revisions", "run.configurations"])),
        above: &[],
        admin_role: None,
        conditions: Conditions::Accepted,
        asset_type: "run.googleapis.com/Service",
        // Cloud Run logs the service under more than one name form: matched on its own name, and
        // on its region.
        asset_name: AssetName::Full,
        history: History {
            method: None,
            log: Log::ProjectInName,
            narrow: Narrow::LastSegment { location: true },
        },
        paced_per_resource: false,
    },
];

/// The row of `kind`.
pub fn row(kind: Kind) -> &'static Row {
    // Every kind has a row (tests::every_kind_has_one_row).
    ROWS.iter().find(|r| r.kind == kind).unwrap_or(&ROWS[0])
}

pub fn is_number(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
}

pub fn is_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
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
}

//! What the emulator keeps: the hierarchy, policies in Google's wire shape, identities and the
//! clock. One JSON shape serves as the seed format and the state file (docs/emulator.md, "Seed and
//! state file").

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `google.iam.v1.Policy` as it travels in JSON
/// (<https://cloud.google.com/resource-manager/reference/rest/Shared.Types/Policy>). Fields the
/// emulator does not model ride in `extra`, so that a policy read from a seed or a request keeps
/// them until the store decides what Google would keep.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<Binding>,
    /// `auditConfigs` and anything else.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// `google.iam.v1.Binding`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    pub role: String,
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Expr>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `google.type.Expr` (<https://cloud.google.com/resource-manager/reference/rest/Shared.Types/Expr>).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Expr {
    #[serde(default)]
    pub expression: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Expr {
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or_default()
    }

    pub fn description(&self) -> &str {
        self.description.as_deref().unwrap_or_default()
    }
}

impl Binding {
    /// Bindings with the same role and condition (expression, title, description) are one binding
    /// to Google, which merges them on write.
    pub fn same_target(&self, other: &Binding) -> bool {
        self.role == other.role
            && match (&self.condition, &other.condition) {
                (None, None) => true,
                (Some(a), Some(b)) => {
                    a.expression == b.expression
                        && a.title() == b.title()
                        && a.description() == b.description()
                }
                _ => false,
            }
    }
}

impl Policy {
    pub fn has_conditions(&self) -> bool {
        self.bindings.iter().any(|b| b.condition.is_some())
    }

    /// Every occurrence of a member in a binding.
    pub fn principal_count(&self) -> usize {
        self.bindings.iter().map(|b| b.members.len()).sum()
    }

    /// True when a role carries the `_withcond_` suffix of a version-1 view.
    pub fn is_version1_view_of_conditions(&self) -> bool {
        self.bindings.iter().any(|b| b.role.contains("_withcond_"))
    }
}

/// Everything the emulator keeps: the seed format and the state file are this one JSON shape
/// (docs/emulator.md, "Seed and state file").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Data {
    #[serde(default)]
    pub organizations: Vec<Organization>,
    #[serde(default)]
    pub folders: Vec<Folder>,
    #[serde(default)]
    pub projects: Vec<Project>,
    /// Allow policies by resource name (`organizations/N`, `folders/N`, `projects/ID`), in Google's
    /// JSON shape; conditions are kept, the etag is the current one.
    #[serde(default)]
    pub policies: BTreeMap<String, Policy>,
    /// Bearer tokens and the principal each stands for.
    #[serde(default)]
    pub tokens: Vec<Token>,
    /// Refresh tokens (as in gcloud's `authorized_user` files) and their principals.
    #[serde(default)]
    pub refresh_tokens: Vec<Token>,
    /// Service accounts: whose keys the emulator knows, and (when their project is in the seed) IAM
    /// resources with an allow policy of their own.
    #[serde(default)]
    pub service_accounts: Vec<ServiceAccount>,
    /// Cloud Storage buckets (issue 9): allow policies under `projects/_/buckets/NAME`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<Bucket>,
    /// Secret Manager secrets, `projects/ID/secrets/S`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// Cloud KMS key rings with their crypto keys, `projects/ID/locations/L/keyRings/R`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_rings: Vec<KeyRing>,
    /// Cloud Run services, `projects/ID/locations/L/services/S`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub run_services: Vec<RunService>,
    /// Google groups and their members, so that `group:` bindings grant access.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Custom roles (`projects/ID/roles/X`, `organizations/N/roles/X`) and their permissions;
    /// predefined roles come from the catalog (`state::catalog`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_roles: Vec<CustomRole>,
    /// Whom the metadata server's token stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_principal: Option<String>,
    /// The emulator's clock: absent = the wall clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<Clock>,
    /// Cloud Audit Logs' Admin Activity entries (`LogEntry` JSON), oldest first: one per
    /// successful `setIamPolicy` (`state::audit_log`), and any a seed brings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_entries: Vec<Value>,
    /// Privileged Access Manager's entitlements, grants and operations (`state::pam`).
    #[serde(default, skip_serializing_if = "PamState::is_empty")]
    pub pam: PamState,
}

/// A custom role, in the shape of IAM's `Role`
/// (<https://cloud.google.com/iam/docs/reference/rest/v1/organizations.roles#Role>).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomRole {
    /// `projects/PROJECT_ID/roles/ID` or `organizations/NUMBER/roles/ID`.
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub included_permissions: Vec<String>,
    /// `ALPHA` when absent: the first value of Google's `Role.stage` enum, which
    /// `projects.roles.create` takes when none is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// A deleted custom role stays in its bindings but grants nothing
    /// (<https://cloud.google.com/iam/docs/creating-custom-roles#deleting-custom-role>).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl CustomRole {
    pub fn stage(&self) -> &str {
        self.stage.as_deref().unwrap_or("ALPHA")
    }

    /// `projects/ID` or `organizations/N`: where the role is defined.
    pub fn parent(&self) -> &str {
        self.name.rsplit_once("/roles/").map_or("", |(p, _)| p)
    }

    /// A role grants its permissions while it is neither deleted nor `DISABLED` ("This role is
    /// disabled and will not contribute permissions to any principals it is granted to in
    /// policies", `Role.stage` in IAM's discovery document).
    pub fn grants(&self, permission: &str) -> bool {
        !self.deleted
            && self.stage() != "DISABLED"
            && self.included_permissions.iter().any(|p| p == permission)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// `organizations/N`.
    pub name: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Folder {
    /// `folders/N`.
    pub name: String,
    /// `organizations/N` or `folders/N`.
    pub parent: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub project_id: String,
    pub project_number: String,
    /// `organizations/N` or `folders/N` (or empty for a project without an organization).
    #[serde(default)]
    pub parent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `ACTIVE` (default) or `DELETE_REQUESTED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
}

impl Project {
    pub fn state(&self) -> &str {
        self.state.as_deref().unwrap_or("ACTIVE")
    }

    pub fn display_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.project_id)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    pub token: String,
    /// `user:…` or `serviceAccount:…`.
    pub principal: String,
    /// Wall-clock expiry; absent = never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    pub email: String,
    #[serde(default)]
    pub keys: Vec<ServiceAccountKey>,
    /// The project that owns it; absent = the `ID` of an `…@ID.iam.gserviceaccount.com` address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Google's 21-digit unique id; absent = one derived from the e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_id: Option<String>,
}

impl ServiceAccount {
    /// The project ID that owns the account: the seed's, or the one its address names.
    pub fn project_id(&self) -> Option<&str> {
        self.project.as_deref().or_else(|| {
            let (_, domain) = self.email.rsplit_once('@')?;
            domain.strip_suffix(".iam.gserviceaccount.com")
        })
    }

    /// The unique id: the seed's, or 21 digits derived from the lowercased address (Google's
    /// are 21 digits, e.g. `104635123456789012345`; IAM accepts them in place of the address).
    pub fn unique_id(&self) -> String {
        if let Some(id) = &self.unique_id {
            return id.clone();
        }
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(self.email.to_ascii_lowercase().as_bytes());
        let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) % 10_000_000_000_000_000_000;
        format!("1{n:020}")
    }
}

/// A Cloud Storage bucket (<https://cloud.google.com/storage/docs/json_api/v1/buckets>).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    pub name: String,
    /// The project ID that owns it.
    pub project: String,
    /// `iamConfiguration.uniformBucketLevelAccess.enabled`: conditions need it.
    #[serde(default)]
    pub uniform_bucket_level_access: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A Secret Manager secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// `projects/ID/secrets/S`.
    pub name: String,
    /// Its versions, for `versions:access` (issue 21: a chat webhook kept in a secret).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<SecretVersion>,
}

/// A version of a secret
/// (<https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions>).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretVersion {
    /// 1, 2, …
    pub version: u64,
    /// The payload, base64 (as `SecretPayload.data` travels).
    pub data: String,
    /// `ENABLED` (default), `DISABLED` or `DESTROYED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl SecretVersion {
    pub fn state(&self) -> &str {
        self.state.as_deref().unwrap_or("ENABLED")
    }
}

/// A Cloud KMS key ring and the ids of its crypto keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRing {
    /// `projects/ID/locations/L/keyRings/R`.
    pub name: String,
    #[serde(default)]
    pub crypto_keys: Vec<String>,
}

/// A Cloud Run service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunService {
    /// `projects/ID/locations/L/services/S`.
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountKey {
    /// `private_key_id` of the key file, `kid` of the JWTs it signs.
    pub key_id: String,
    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_key_pem: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// `group:…`.
    pub name: String,
    #[serde(default)]
    pub members: Vec<String>,
}

/// The emulator's clock: the wall clock moved by `offsetSeconds`, or frozen at `frozenAt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Clock {
    #[serde(default)]
    pub offset_seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_at: Option<DateTime<Utc>>,
}

impl Clock {
    /// The clock's time at wall time `wall`, never outside what CEL timestamps can represent (a
    /// ticking clock that runs past 9999-12-31T23:59:59Z stays there); never panics, whatever a
    /// state file holds.
    pub fn now(&self, wall: DateTime<Utc>) -> DateTime<Utc> {
        let t = match self.frozen_at {
            Some(t) => Some(t),
            None => TimeDelta::try_seconds(self.offset_seconds).and_then(|d| wall.checked_add_signed(d)),
        };
        match t {
            Some(t) => t.clamp(min_time(), max_time()),
            None if self.offset_seconds < 0 => min_time(),
            None => max_time(),
        }
    }

    /// Why this clock cannot be served at wall time `wall`, if it cannot: its time must lie within
    /// [`min_time`]..=[`max_time`].
    pub fn check(&self, wall: DateTime<Utc>) -> Result<(), String> {
        let t = match self.frozen_at {
            Some(t) => Some(t),
            None => TimeDelta::try_seconds(self.offset_seconds).and_then(|d| wall.checked_add_signed(d)),
        };
        match t {
            Some(t) if (min_time()..=max_time()).contains(&t) => Ok(()),
            _ => Err(format!(
                "the clock (offsetSeconds {}, frozenAt {}) is outside {}..{}, the times CEL can represent",
                self.offset_seconds,
                self.frozen_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "none".into()),
                format_time(min_time()),
                format_time(max_time()),
            )),
        }
    }
}

/// The earliest time a CEL `timestamp` holds: 0001-01-01T00:00:00Z.
/// <https://github.com/google/cel-spec/blob/master/doc/langdef.md#overflow> ("timestamps … range
/// of 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z").
pub fn min_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).single().expect("a valid date")
}

/// The latest whole second a CEL `timestamp` holds: 9999-12-31T23:59:59Z.
pub fn max_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).single().expect("a valid date")
}

/// RFC 3339, whole seconds, `Z`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What PAM keeps, in the state file's `pam` field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PamState {
    /// Entitlements in Google's JSON shape (`Entitlement`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<GrantRecord>,
    /// Long-running operations in Google's JSON shape (`Operation`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Value>,
}

impl PamState {
    pub fn is_empty(&self) -> bool {
        self.entitlements.is_empty() && self.grants.is_empty() && self.operations.is_empty()
    }
}

/// A grant, and what the emulator needs to end it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantRecord {
    /// Google's `Grant`.
    pub grant: Value,
    /// When the access ends (set at activation): the time in the bindings' condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_ends: Option<DateTime<Utc>>,
    /// The bindings activation wrote, exactly, so that the end removes those and nothing else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<Binding>,
    /// The operation of a revocation in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_operation: Option<String>,
    /// Who revoked it and why (the `revoked` event's body), until the revocation is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_actor: Option<Value>,
}

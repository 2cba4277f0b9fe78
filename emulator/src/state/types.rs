//! The store's vocabulary, below everything else of `state`: the kinds of resources with an allow
//! policy ([`Kind`]), who calls ([`Caller`]), what goes wrong in Google's terms ([`StoreError`]),
//! and etags. It imports no other module of `state`, so the store, its rules and the services
//! above it can all name it without a circle (issue 20).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

/// The etag of a policy that was never written; Google answers it for resources without a policy.
pub const EMPTY_ETAG: &str = "ACAB";
/// The kind of a resource with an allow policy: the hierarchy (organization, folder, project) and,
/// since issue 9, the resources below a project whose services speak `getIamPolicy` /
/// `setIamPolicy` themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Organization,
    Folder,
    Project,
    /// Cloud Storage, `projects/_/buckets/B`.
    Bucket,
    /// Secret Manager, `projects/P/secrets/S`.
    Secret,
    /// IAM, `projects/P/serviceAccounts/EMAIL`.
    ServiceAccount,
    /// Cloud KMS, `projects/P/locations/L/keyRings/R`.
    KeyRing,
    /// Cloud KMS, `projects/P/locations/L/keyRings/R/cryptoKeys/K`.
    CryptoKey,
    /// Cloud Run, `projects/P/locations/L/services/S`.
    RunService,
}

impl Kind {
    pub fn collection(self) -> &'static str {
        match self {
            Kind::Organization => "organizations",
            Kind::Folder => "folders",
            Kind::Project => "projects",
            Kind::Bucket => "buckets",
            Kind::Secret => "secrets",
            Kind::ServiceAccount => "serviceAccounts",
            Kind::KeyRing => "keyRings",
            Kind::CryptoKey => "cryptoKeys",
            Kind::RunService => "services",
        }
    }

    /// The hierarchy's kinds by their collection (`projects` → `Project`).
    pub fn from_collection(c: &str) -> Option<Kind> {
        match c {
            "organizations" => Some(Kind::Organization),
            "folders" => Some(Kind::Folder),
            "projects" => Some(Kind::Project),
            _ => None,
        }
    }

    /// The kind of a policy key (`projects/_/buckets/B` → `Bucket`), by its shape alone.
    pub fn of_key(key: &str) -> Option<Kind> {
        let s: Vec<&str> = key.split('/').collect();
        Some(match s.as_slice() {
            ["organizations", _] => Kind::Organization,
            ["folders", _] => Kind::Folder,
            ["projects", _] => Kind::Project,
            ["projects", "_", "buckets", _] => Kind::Bucket,
            ["projects", _, "secrets", _] => Kind::Secret,
            ["projects", _, "serviceAccounts", _] => Kind::ServiceAccount,
            ["projects", _, "locations", _, "keyRings", _] => Kind::KeyRing,
            ["projects", _, "locations", _, "keyRings", _, "cryptoKeys", _] => Kind::CryptoKey,
            ["projects", _, "locations", _, "services", _] => Kind::RunService,
            _ => return None,
        })
    }

    /// The permission for `verb` in the resource's own service: `resourcemanager.projects.getIamPolicy`,
    /// `storage.buckets.setIamPolicy`, `secretmanager.secrets.getIamPolicy`,
    /// `iam.serviceAccounts.getIamPolicy`, `cloudkms.keyRings.setIamPolicy`,
    /// `cloudkms.cryptoKeys.getIamPolicy`, `run.services.setIamPolicy`
    /// (<https://cloud.google.com/iam/docs/permissions-reference>).
    pub fn permission(self, verb: &str) -> String {
        let service = match self {
            Kind::Organization | Kind::Folder | Kind::Project => "resourcemanager",
            Kind::Bucket => "storage",
            Kind::Secret => "secretmanager",
            Kind::ServiceAccount => "iam",
            Kind::KeyRing | Kind::CryptoKey => "cloudkms",
            Kind::RunService => "run",
        };
        format!("{service}.{}.{verb}", self.collection())
    }

    /// True for the kinds of the resource hierarchy (Cloud Resource Manager's own).
    pub fn is_hierarchy(self) -> bool {
        matches!(self, Kind::Organization | Kind::Folder | Kind::Project)
    }
}
/// Who calls: a principal, or anybody when the emulator runs with `--no-auth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anyone,
    Principal(String),
}
/// What went wrong, in Google's terms; `wire` renders each as Google's error JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// 403 PERMISSION_DENIED: the caller lacks `permission` on `resource`, or it does not exist
    /// (Google answers both alike). `resource` is the name as the client wrote it.
    Denied { permission: String, resource: String },
    /// 400 INVALID_ARGUMENT with Google's message.
    Invalid(String),
    /// 409 ABORTED: the etag is stale; `sent` as the request had it, `current` the stored one.
    Aborted { sent: String, current: String },
    /// 404 NOT_FOUND (used where Google says so, e.g. a service account key id).
    NotFound(String),
    /// 412 FAILED_PRECONDITION: Cloud Storage refuses a conditional binding on a bucket without
    /// uniform bucket-level access.
    FailedPrecondition(String),
}
/// The message Google sends with a stale etag.
/// Seen in <https://github.com/DataBiosphere/leonardo/pull/737>.
pub const CONCURRENT_CHANGES: &str = "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.";
/// A JSON value as compact text (a `Value` always serialises).
pub(crate) fn compact(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
pub(crate) fn display_name(kind: Kind, id: &str) -> String {
    if kind.is_hierarchy() { format!("{}/{id}", kind.collection()) } else { id.to_string() }
}
/// An etag as bytes, from either base64 alphabet (gcloud sends back the URL-safe one it decoded
/// into, observed with gcloud 528 against a capture server: `BwY+RpZ/Nr8=` comes back as
/// `BwY-RpZ_Nr8=`).
pub fn decode_etag(etag: &str) -> Option<Vec<u8>> {
    STANDARD.decode(etag).or_else(|_| URL_SAFE.decode(etag)).ok()
}
pub(crate) fn etag_number(etag: &str) -> Option<u64> {
    let bytes: [u8; 8] = decode_etag(etag)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// The etag of a bucket's policy never written: Cloud Storage's etags are small protobuf-encoded
/// generations, `CAE=` (bytes `08 01`) for the first, as on a bucket's metadata and in Storage's
/// own `get-iam-policy` answers (googleapis/python-storage system tests and docs show `CAE=`),
/// not Resource Manager's 8-byte timestamps.
pub const FIRST_STORAGE_ETAG: &str = "CAE=";

/// The etag after `current` of a bucket's policy: the next generation, in Storage's shape
/// (`CAE=` → `CAI=` → `CAM=` …; field 1, varint).
pub fn next_storage_etag(current: Option<&str>) -> String {
    let generation = current
        .and_then(decode_etag)
        .and_then(|bytes| {
            let (&tag, rest) = bytes.split_first()?;
            if tag != 0x08 {
                return None;
            }
            let mut n: u64 = 0;
            for (i, b) in rest.iter().enumerate().take(9) {
                n |= u64::from(b & 0x7f) << (7 * i);
                if b & 0x80 == 0 {
                    return Some(n);
                }
            }
            None
        })
        .unwrap_or(1);
    let mut n = generation + 1;
    let mut bytes = vec![0x08];
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            bytes.push(low);
            break;
        }
        bytes.push(low | 0x80);
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_safe_and_standard_etags_decode_alike() {
        assert_eq!(decode_etag("BwY+RpZ/Nr8="), decode_etag("BwY-RpZ_Nr8="));
        assert!(decode_etag("not base64!").is_none());
    }
    #[test]
    fn every_kind_has_its_services_permission_names() {
        let got: Vec<String> = [
            Kind::Project,
            Kind::Bucket,
            Kind::Secret,
            Kind::ServiceAccount,
            Kind::KeyRing,
            Kind::CryptoKey,
            Kind::RunService,
        ]
        .iter()
        .map(|k| k.permission("setIamPolicy"))
        .collect();
        assert_eq!(
            got,
            [
                "resourcemanager.projects.setIamPolicy",
                "storage.buckets.setIamPolicy",
                "secretmanager.secrets.setIamPolicy",
                "iam.serviceAccounts.setIamPolicy",
                "cloudkms.keyRings.setIamPolicy",
                "cloudkms.cryptoKeys.setIamPolicy",
                "run.services.setIamPolicy",
            ]
        );
    }
}

//! The emulator's store: the resource hierarchy, allow policies with their etags and versions,
//! identities, and the rules Google applies when a policy is read, written or tested. It knows
//! nothing of HTTP; every operation takes the time it happens at (`now`, the emulator's clock) and
//! returns a value or a [`StoreError`] that `wire` renders the way Google does.
//!
//! Each rule carries the source it follows; docs/emulator.md holds the same list as a table.
//!
//! This file holds the store itself and the resource hierarchy; the rules live beside it:
//! `authorization` (who may do what), `policies` (reading and writing allow policies),
//! `identities` (accounts, tokens, keys, members), `audit_log` (the audit entries).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::model::{Binding, Data, Folder, Organization, Policy, Project};
pub use super::types::{CONCURRENT_CHANGES, Caller, EMPTY_ETAG, Kind, StoreError, decode_etag};
use super::types::{compact, etag_number};

/// A policy a write replaced: until when it held, and what it was (None: no policy).
type Replaced = (DateTime<Utc>, Option<Policy>);
/// The store.
#[derive(Debug, Clone)]
pub struct Store {
    pub data: Data,
    pub(crate) last_etag: u64,
    /// Every policy a write replaced, by key: `(until, policy)` in the order written, `policy`
    /// being what the key held until that time (None: no policy). Cloud Asset Inventory's search
    /// reads an index that lags the live policies (`server::asset`); this is what lets it answer
    /// "as of" a past time. Kept in memory only: a restarted emulator's index starts up to date.
    pub(crate) history: HashMap<String, Vec<Replaced>>,
    /// Bumped whenever the resources themselves may change (a reset): what caches of them key on.
    pub(crate) generation: u64,
    /// Changes whenever `data.log_entries` may have: every appended entry and every reset.
    pub(crate) log_version: u64,
    /// The entries the last `entries.list` query matched, in its order, so that its next pages
    /// are cut from them instead of filtering and sorting the whole log again.
    pub log_cache: Option<LogQueryCache>,
    /// Each entry of `data.log_entries` as compact JSON, in the same order: an entry never changes
    /// once written, so a page of `entries.list` is these texts joined, not 1,000 values
    /// serialised again for every page.
    pub(crate) log_json: Vec<String>,
}
/// The matches of one `entries.list` query (filter, order, containers) at one `log_version`:
/// indexes into `data.log_entries`.
#[derive(Debug, Clone, Default)]
pub struct LogQueryCache {
    pub query: String,
    pub version: u64,
    pub matches: Vec<usize>,
}
/// A resource found in the hierarchy, by its canonical policy key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    /// `organizations/N`, `folders/N`, `projects/ID`.
    pub key: String,
}

impl Store {
    pub fn new(mut data: Data) -> Store {
        // A bucket the seed gives no policy has the one Google gives every new bucket.
        for b in &data.buckets {
            data.policies
                .entry(format!("projects/_/buckets/{}", b.name))
                .or_insert_with(|| default_bucket_policy(&b.project));
        }
        let last_etag = data
            .policies
            .values()
            .filter_map(|p| p.etag.as_deref())
            .filter_map(etag_number)
            .max()
            .unwrap_or(0);
        let log_json = data.log_entries.iter().map(compact).collect();
        Store {
            data,
            last_etag,
            history: HashMap::new(),
            generation: 0,
            log_version: 0,
            log_cache: None,
            log_json,
        }
    }
    /// Replaces everything with `data`, keeping the etag counter, so that no etag handed out
    /// before is ever valid again.
    pub fn reset(&mut self, data: Data) {
        let last = self.last_etag;
        let (generation, version) = (self.generation, self.log_version);
        *self = Store::new(data);
        self.last_etag = self.last_etag.max(last);
        self.generation = generation + 1;
        self.log_version = version + 1;
    }
    /// The policy `key` held at `when` on the emulator's clock: the one a later write replaced,
    /// else the current one. Writes are recorded at the clock's time; a clock moved back puts
    /// `when` before them, and the oldest recorded policy answers.
    pub fn policy_as_of(&self, key: &str, when: DateTime<Utc>) -> Option<&Policy> {
        match self.history.get(key).and_then(|h| h.iter().find(|(until, _)| *until > when)) {
            Some((_, before)) => before.as_ref(),
            None => self.data.policies.get(key),
        }
    }
    /// Which state of the resources (not their policies) the store holds: changes on a reset.
    pub fn generation(&self) -> u64 {
        self.generation
    }
    /// Audit-log entry `i` (an index into `data.log_entries`) as compact JSON.
    pub fn log_entry_json(&self, i: usize) -> &str {
        &self.log_json[i]
    }
    /// The version of the audit log: it changes whenever an entry is added or the store is reset.
    pub fn log_version(&self) -> u64 {
        self.log_version
    }
    /// The emulator's clock at wall time `wall`.
    pub fn now(&self, wall: DateTime<Utc>) -> DateTime<Utc> {
        self.data.clock.clone().unwrap_or_default().now(wall)
    }

    // ---- the hierarchy ----------------------------------------------------------------------
    pub fn project(&self, id_or_number: &str) -> Option<&Project> {
        self.data.projects.iter().find(|p| p.project_id == id_or_number || p.project_number == id_or_number)
    }
    pub fn folder(&self, number: &str) -> Option<&Folder> {
        let name = format!("folders/{number}");
        self.data.folders.iter().find(|f| f.name == name)
    }
    pub fn organization(&self, number: &str) -> Option<&Organization> {
        let name = format!("organizations/{number}");
        self.data.organizations.iter().find(|o| o.name == name)
    }
    /// Finds a resource by the name a client sent: for the hierarchy, the ID or number
    /// (`jit-demo-prod`, `100000000001`, `234567890123`); for the other kinds, the bucket's name, or
    /// the full relative name (`projects/ID|NUMBER/secrets/S`,
    /// `projects/ID|NUMBER|-/serviceAccounts/EMAIL|UNIQUE_ID`,
    /// `projects/…/locations/L/keyRings/R[/cryptoKeys/K]`, `projects/…/locations/L/services/S`).
    /// The key it returns is canonical: the project by ID, a service account by its e-mail.
    pub fn find(&self, kind: Kind, id: &str) -> Option<Found> {
        let under = |rest: &str| -> Option<(String, String)> {
            let (p, tail) = rest.strip_prefix("projects/")?.split_once('/')?;
            Some((self.project(p)?.project_id.clone(), tail.to_string()))
        };
        let key = match kind {
            Kind::Project => self.project(id).map(|p| format!("projects/{}", p.project_id)),
            Kind::Folder => self.folder(id).map(|f| f.name.clone()),
            Kind::Organization => self.organization(id).map(|o| o.name.clone()),
            Kind::Bucket => self.bucket(id).map(|b| format!("projects/_/buckets/{}", b.name)),
            Kind::Secret | Kind::KeyRing | Kind::CryptoKey | Kind::RunService => {
                let (pid, tail) = under(id)?;
                let key = format!("projects/{pid}/{tail}");
                (Kind::of_key(&key) == Some(kind) && self.resource_exists(&key)).then_some(key)
            }
            Kind::ServiceAccount => {
                let (p, account) = id.strip_prefix("projects/")?.split_once("/serviceAccounts/")?;
                let sa = self.service_account(account)?;
                let pid = sa.project_id()?;
                let owner = self.project(pid)?;
                // `-` lets the address name the project; a named project must be the owner.
                (p == "-" || p == owner.project_id || p == owner.project_number)
                    .then(|| format!("projects/{}/serviceAccounts/{}", owner.project_id, sa.email))
            }
        };
        key.map(|key| Found { kind, key })
    }
    pub fn bucket(&self, name: &str) -> Option<&super::model::Bucket> {
        self.data.buckets.iter().find(|b| b.name == name && self.project(&b.project).is_some())
    }
    /// Whether a canonical key of a secret, key ring, crypto key or Run service is in the data.
    fn resource_exists(&self, key: &str) -> bool {
        let d = &self.data;
        match Kind::of_key(key) {
            Some(Kind::Secret) => d.secrets.iter().any(|s| s.name == key),
            Some(Kind::KeyRing) => d.key_rings.iter().any(|r| r.name == key),
            Some(Kind::CryptoKey) => key.rsplit_once("/cryptoKeys/").is_some_and(|(ring, k)| {
                d.key_rings.iter().any(|r| r.name == ring && r.crypto_keys.iter().any(|c| c == k))
            }),
            Some(Kind::RunService) => d.run_services.iter().any(|r| r.name == key),
            _ => false,
        }
    }
    /// Finds a resource by its canonical key (as [`Found::key`] and the seed's `policies` name it).
    pub fn find_key(&self, key: &str) -> Option<Found> {
        let kind = Kind::of_key(key)?;
        let id = match kind {
            Kind::Organization | Kind::Folder | Kind::Project => key.split_once('/')?.1,
            Kind::Bucket => key.rsplit_once('/')?.1,
            _ => key,
        };
        self.find(kind, id)
    }
    /// The parent of a resource as a policy key (`projects/ID` → `folders/N`, a crypto key → its
    /// key ring, every other resource below a project → the project).
    fn parent_key(&self, key: &str) -> Option<String> {
        let s: Vec<&str> = key.split('/').collect();
        let parent = match s.as_slice() {
            ["projects", id] => self.project(id)?.parent.clone(),
            ["folders", id] => self.folder(id)?.parent.clone(),
            ["projects", "_", "buckets", b] => format!("projects/{}", self.bucket(b)?.project),
            ["projects", _, "locations", _, "keyRings", _, "cryptoKeys", _] => s[..6].join("/"),
            ["projects", p, _, ..] => format!("projects/{p}"),
            _ => return None,
        };
        (!parent.is_empty()).then_some(parent)
    }
    /// The resource and its ancestors, nearest first.
    pub fn ancestry(&self, key: &str) -> Vec<String> {
        let mut chain = vec![key.to_string()];
        while let Some(parent) = self.parent_key(chain.last().expect("never empty")) {
            if chain.contains(&parent) || chain.len() > 32 {
                break;
            }
            chain.push(parent);
        }
        chain
    }

    // ---- permissions --------------------------------------------------------------------------
}

/// The policy Cloud Storage gives a new bucket of project `project`: the project's owners and
/// editors are legacy bucket and object owners, its viewers legacy bucket and object readers
/// (<https://cloud.google.com/storage/docs/access-control/iam#convenience-values>, and what
/// `gcloud storage buckets get-iam-policy` shows for a new bucket). Its etag is that of a policy
/// never written.
pub fn default_bucket_policy(project: &str) -> Policy {
    let binding = |role: &str, members: &[&str]| Binding {
        role: role.into(),
        members: members.iter().map(|m| format!("{m}:{project}")).collect(),
        ..Binding::default()
    };
    Policy {
        version: Some(1),
        etag: Some(super::types::FIRST_STORAGE_ETAG.into()),
        bindings: vec![
            binding("roles/storage.legacyBucketOwner", &["projectEditor", "projectOwner"]),
            binding("roles/storage.legacyBucketReader", &["projectViewer"]),
            binding("roles/storage.legacyObjectOwner", &["projectEditor", "projectOwner"]),
            binding("roles/storage.legacyObjectReader", &["projectViewer"]),
        ],
        ..Policy::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::model::{Binding, Clock};
    use crate::state::test_support::*;

    #[test]
    fn the_clock_moves_by_offset_or_stays_frozen() {
        let c = Clock { offset_seconds: 3600, frozen_at: None };
        assert_eq!(c.now(t(1)), t(2));
        let c = Clock { offset_seconds: 0, frozen_at: Some(t(5)) };
        assert_eq!(c.now(t(1)), t(5));
    }
    #[test]
    fn resources_are_found_by_the_names_clients_send_and_keyed_canonically() {
        let s = store();
        let key = |kind, id: &str| s.find(kind, id).map(|f| f.key);
        assert_eq!(
            key(Kind::Bucket, "jit-demo-prod-data").as_deref(),
            Some("projects/_/buckets/jit-demo-prod-data")
        );
        assert_eq!(key(Kind::Bucket, "no-such-bucket"), None);
        // By project number, as Secret Manager names secrets in its answers.
        assert_eq!(
            key(Kind::Secret, "projects/100000000001/secrets/db-password").as_deref(),
            Some("projects/jit-demo-prod/secrets/db-password")
        );
        assert_eq!(key(Kind::Secret, "projects/jit-demo-dev/secrets/db-password"), None);
        let sa = "projects/jit-demo-prod/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com";
        for id in [
            "projects/-/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com",
            "projects/jit-demo-prod/serviceAccounts/Deployer@jit-demo-prod.iam.gserviceaccount.com",
            "projects/-/serviceAccounts/104635000000000000001",
        ] {
            assert_eq!(key(Kind::ServiceAccount, id).as_deref(), Some(sa), "{id}");
        }
        // Another project's name for it is no name.
        assert_eq!(
            key(
                Kind::ServiceAccount,
                "projects/jit-demo-dev/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com"
            ),
            None
        );
        let ck = "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db";
        assert_eq!(key(Kind::CryptoKey, ck).as_deref(), Some(ck));
        assert_eq!(key(Kind::KeyRing, ck), None, "a key is not a key ring");
        assert_eq!(
            key(Kind::CryptoKey, "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/x"),
            None
        );
        let run = "projects/jit-demo-prod/locations/europe-west1/services/api";
        assert_eq!(key(Kind::RunService, run).as_deref(), Some(run));
        assert_eq!(key(Kind::RunService, "projects/jit-demo-prod/locations/us-east1/services/api"), None);
        assert_eq!(key(Kind::Secret, "projects/jit-demo-prod/secrets"), None);
        assert_eq!(key(Kind::Secret, ""), None);
    }
    #[test]
    fn a_resource_below_a_project_inherits_the_whole_chain_above() {
        let s = store();
        assert_eq!(
            s.ancestry("projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db"),
            [
                "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db",
                "projects/jit-demo-prod/locations/global/keyRings/app",
                "projects/jit-demo-prod",
                "folders/234567890123",
                "organizations/123456789012",
            ]
        );
        assert_eq!(
            s.ancestry("projects/_/buckets/jit-demo-prod-data")[1..3],
            ["projects/jit-demo-prod", "folders/234567890123"]
        );
        // A binding on the bucket's own policy grants on that bucket alone.
        let mut s = s;
        let dave = Caller::Principal("user:dave@example.com".into());
        let mut own = s.stored("projects/_/buckets/jit-demo-prod-data");
        own.bindings.push(Binding {
            role: "roles/storage.objectViewer".into(),
            members: vec!["user:dave@example.com".into()],
            ..Binding::default()
        });
        s.data.policies.insert("projects/_/buckets/jit-demo-prod-data".into(), own);
        assert!(s.has_permission(
            &dave,
            "projects/_/buckets/jit-demo-prod-data",
            "storage.objects.get",
            t(12)
        ));
        assert!(!s.has_permission(
            &dave,
            "projects/_/buckets/jit-demo-prod-legacy",
            "storage.objects.get",
            t(12)
        ));
        assert!(!s.has_permission(&dave, "projects/jit-demo-prod", "storage.objects.get", t(12)));
        // Alice owns the project: every kind's policy is hers to read and set (docs/emulator.md
        // says so of the demo seed).
        for (kind, id) in [
            (Kind::Bucket, "jit-demo-prod-legacy"),
            (Kind::Bucket, "jit-demo-prod-data"),
            (Kind::CryptoKey, "projects/jit-demo-prod/locations/global/keyRings/app/cryptoKeys/db"),
            (
                Kind::ServiceAccount,
                "projects/-/serviceAccounts/deployer@jit-demo-prod.iam.gserviceaccount.com",
            ),
            (Kind::Secret, "projects/jit-demo-prod/secrets/db-password"),
            (
                Kind::ServiceAccount,
                "projects/-/serviceAccounts/jit-cleanup@jit-demo-prod.iam.gserviceaccount.com",
            ),
            (Kind::KeyRing, "projects/jit-demo-prod/locations/global/keyRings/app"),
            (Kind::RunService, "projects/jit-demo-prod/locations/europe-west1/services/api"),
        ] {
            assert!(s.authorize(&alice(), kind, id, "getIamPolicy", t(12)).is_ok(), "{id}");
            assert!(s.authorize(&alice(), kind, id, "setIamPolicy", t(12)).is_ok(), "{id}");
            assert_eq!(
                s.authorize(&bob(), kind, id, "setIamPolicy", t(12)),
                Err(StoreError::Denied { permission: kind.permission("setIamPolicy"), resource: id.into() })
            );
        }
    }
}

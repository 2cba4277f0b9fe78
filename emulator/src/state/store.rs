//! The emulator's store: the resource hierarchy, allow policies with their etags and versions,
//! identities, and the rules Google applies when a policy is read, written or tested. It knows
//! nothing of HTTP; every operation takes the time it happens at (`now`, the emulator's clock) and
//! returns a value or a [`StoreError`] that `wire` renders the way Google does.
//!
//! Each rule carries the source it follows; docs/emulator.md holds the same list as a table.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::catalog;
use super::model::{
    Binding, Data, Expr, Folder, Organization, Policy, Project, ServiceAccount, ServiceAccountKey, Token,
};
use super::validation::{self, BASIC_ROLES, MAX_PRINCIPALS, MAX_SAME_ROLE_AND_MEMBER, MemberKind, PUBLIC};

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
fn compact(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A policy a write replaced: until when it held, and what it was (None: no policy).
type Replaced = (DateTime<Utc>, Option<Policy>);

/// The store.
#[derive(Debug, Clone)]
pub struct Store {
    pub data: Data,
    last_etag: u64,
    /// Every policy a write replaced, by key: `(until, policy)` in the order written, `policy`
    /// being what the key held until that time (None: no policy). Cloud Asset Inventory's search
    /// reads an index that lags the live policies (`server::asset`); this is what lets it answer
    /// "as of" a past time. Kept in memory only: a restarted emulator's index starts up to date.
    history: HashMap<String, Vec<Replaced>>,
    /// Bumped whenever the resources themselves may change (a reset): what caches of them key on.
    generation: u64,
    /// Changes whenever `data.log_entries` may have: every appended entry and every reset.
    log_version: u64,
    /// The entries the last `entries.list` query matched, in its order, so that its next pages
    /// are cut from them instead of filtering and sorting the whole log again.
    pub log_cache: Option<LogQueryCache>,
    /// Each entry of `data.log_entries` as compact JSON, in the same order: an entry never changes
    /// once written, so a page of `entries.list` is these texts joined, not 1,000 values
    /// serialised again for every page.
    log_json: Vec<String>,
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

    /// A service account by e-mail (without regard to case) or unique id.
    pub fn service_account(&self, account: &str) -> Option<&ServiceAccount> {
        self.data
            .service_accounts
            .iter()
            .find(|sa| sa.email.eq_ignore_ascii_case(account) || sa.unique_id() == account)
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

    /// True when `principal` is one of `member` (directly, by group, by domain, or as a public
    /// principal). E-mail principals (`user:`, `group:`, `serviceAccount:`) and domains compare
    /// without regard to case: e-mail addresses and DNS names are case-insensitive, and Google
    /// stores an e-mail member in the account's own case whatever case it was sent in
    /// (terraform-provider-google #4276, #3880, #5107), so a binding written for
    /// `user:jane.doe@example.com` grants `user:Jane.Doe@example.com`.
    pub fn member_matches(&self, member: &str, principal: &str) -> bool {
        if member == principal || member == "allUsers" || member == "allAuthenticatedUsers" {
            return true;
        }
        if let Some(domain) = member.strip_prefix("domain:") {
            return principal
                .strip_prefix("user:")
                .and_then(|e| e.rsplit_once('@'))
                .is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain));
        }
        if validation::member_kind(member) == Some(MemberKind::Email) && same_email_member(member, principal)
        {
            return true;
        }
        if let Some((kind, project)) = member.split_once(':')
            && let Some(role) = convenience_role(kind)
        {
            return self.holds_basic_role(principal, project, role);
        }
        if member.starts_with("group:") {
            return self.data.groups.iter().any(|g| {
                same_email_member(&g.name, member)
                    && g.members.iter().any(|m| same_email_member(m, principal))
            });
        }
        false
    }

    /// True when `principal` holds the basic role `role` on the project `project` (ID or
    /// number): the convenience values `projectOwner:P`, `projectEditor:P`, `projectViewer:P` stand
    /// for "the owners / editors / viewers of the project"
    /// (<https://cloud.google.com/storage/docs/access-control/iam#convenience-values>).
    ///
    /// Only bindings on the project's own policy count, not a basic role inherited from a folder
    /// or the organization: the documentation names the project's owners and Cloud Storage's
    /// older "project team" (`projectTeam` in ACLs, gsutil's "Working With Projects": the
    /// project's three groups of members) is the project's own membership. Whether Google also
    /// counts inherited holders is not documented; this reading is assumed.
    fn holds_basic_role(&self, principal: &str, project: &str, role: &str) -> bool {
        let Some(p) = self.project(project) else { return false };
        self.data.policies.get(&format!("projects/{}", p.project_id)).is_some_and(|policy| {
            policy.bindings.iter().any(|b| {
                // Basic roles take no condition (validation refuses one), so none is evaluated;
                // a convenience value on a project's policy is refused too, which keeps this from
                // recursing.
                b.role == role
                    && b.condition.is_none()
                    && b.members.iter().any(|m| {
                        validation::member_kind(m) != Some(MemberKind::Convenience)
                            && self.member_matches(m, principal)
                    })
            })
        })
    }

    /// Does `caller` hold `permission` on the resource `key` at `now`? Every binding on the
    /// resource and its ancestors counts, and every condition is evaluated by the `cel`
    /// interpreter with `request.time = now`; a condition that fails to evaluate grants nothing,
    /// as in IAM (<https://cloud.google.com/iam/docs/conditions-overview#evaluation>).
    pub fn has_permission(&self, caller: &Caller, key: &str, permission: &str, now: DateTime<Utc>) -> bool {
        self.has_permission_for(caller, key, permission, now, None)
    }

    /// [`Store::has_permission`] for a request that sets a policy changing the bindings of the
    /// `modified` roles (`None`: any other request): the value of
    /// `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', [])` in every condition
    /// (`validation::evaluate_request`).
    pub fn has_permission_for(
        &self,
        caller: &Caller,
        key: &str,
        permission: &str,
        now: DateTime<Utc>,
        modified: Option<&[String]>,
    ) -> bool {
        let principal = match caller {
            Caller::Anyone => return true,
            Caller::Principal(p) => p,
        };
        self.ancestry(key).iter().filter_map(|k| self.data.policies.get(k)).any(|policy| {
            policy.bindings.iter().any(|b| {
                self.role_grants(&b.role, permission)
                    && b.members.iter().any(|m| self.member_matches(m, principal))
                    && b.condition
                        .as_ref()
                        .is_none_or(|c| validation::evaluate_request(&c.expression, now, modified))
            })
        })
    }

    /// True when `role` grants `permission`: a predefined role by the catalog, a custom role by
    /// its declaration (none when deleted or disabled); a role that is neither grants nothing.
    pub fn role_grants(&self, role: &str, permission: &str) -> bool {
        if role.starts_with("roles/") {
            return catalog::grants(role, permission);
        }
        self.data.custom_roles.iter().any(|r| r.name == role && r.grants(permission))
    }

    /// True when the custom role `role` is defined on the resource `key` or one of its ancestors,
    /// the only places it can be bound ("you can only grant a custom role within the project or
    /// organization in which you created it",
    /// <https://cloud.google.com/iam/docs/roles-overview#custom>). A deleted role still counts:
    /// its bindings stay in the policy (<https://cloud.google.com/iam/docs/creating-custom-roles#deleting-custom-role>)
    /// and every read-modify-write sends them back.
    pub fn custom_role_in_hierarchy(&self, key: &str, role: &str) -> bool {
        self.data.custom_roles.iter().any(|r| r.name == role)
            && self
                .ancestry(key)
                .iter()
                .any(|k| role.strip_prefix(k.as_str()).is_some_and(|rest| rest.starts_with("/roles/")))
    }

    /// Finds a resource and checks one permission on it; an unknown resource and a missing
    /// permission give the same 403, as Google's do.
    pub fn authorize(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        verb: &str,
        now: DateTime<Utc>,
    ) -> Result<Found, StoreError> {
        let permission = kind.permission(verb);
        let denied =
            || StoreError::Denied { permission: permission.clone(), resource: display_name(kind, id) };
        let Some(found) = self.find(kind, id) else {
            // Issue 18 item 1: the services below a project answer 404 for what does not exist.
            return Err(self.missing(caller, kind, id, &permission, now, denied()));
        };
        if self.has_permission(caller, &found.key, &permission, now) { Ok(found) } else { Err(denied()) }
    }

    // ---- policies -------------------------------------------------------------------------------

    /// `getIamPolicy`: the policy at the requested version (0, 1 or 3).
    ///
    /// Version 3 shows conditions, with `version: 3` when any exist and 1 otherwise. Version 1 (or
    /// none) on a conditional policy shows each conditional binding's role as
    /// `<role>_withcond_<hash>` without its condition.
    /// <https://cloud.google.com/iam/docs/policies#versions>
    pub fn get_policy(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        requested_version: i64,
        now: DateTime<Utc>,
    ) -> Result<Policy, StoreError> {
        let found = self.authorize(caller, kind, id, "getIamPolicy", now)?;
        check_requested_version(requested_version)?;
        Ok(self.view(&found.key, requested_version))
    }

    /// The stored policy of a resource (an empty one, etag `ACAB`, when none was ever written).
    pub fn stored(&self, key: &str) -> Policy {
        self.data
            .policies
            .get(key)
            .cloned()
            .unwrap_or_else(|| Policy { etag: Some(EMPTY_ETAG.into()), ..Policy::default() })
    }

    fn view(&self, key: &str, requested_version: i64) -> Policy {
        let mut p = self.stored(key);
        let conditional = p.has_conditions();
        if conditional && requested_version < 3 {
            for b in &mut p.bindings {
                if let Some(c) = b.condition.take() {
                    b.role = withcond_role(&b.role, &c);
                }
            }
        }
        p.version = Some(if conditional && requested_version >= 3 { 3 } else { 1 });
        if p.bindings.is_empty() && p.extra.is_empty() && !self.data.policies.contains_key(key) {
            // A policy never written is `{"etag": "ACAB"}` alone (issue 18 item 5).
            p.version = None;
        }
        p
    }

    /// `setIamPolicy`: validates, merges and stores the policy; returns what Google returns (the
    /// new policy with conditions).
    pub fn set_policy(
        &mut self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        incoming: Policy,
        update_mask: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Policy, StoreError> {
        let found = self.authorize(caller, kind, id, "setIamPolicy", now)?;
        let mask: Vec<&str> = update_mask
            // "If no mask is provided, the following default mask is used: paths: "bindings, etag""
            // <https://cloud.google.com/resource-manager/reference/rest/v1/projects/setIamPolicy>
            .unwrap_or("bindings,etag")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        for path in &mask {
            if !["bindings", "etag", "version", "auditConfigs", "audit_configs"].contains(path) {
                return Err(StoreError::Invalid(format!("Invalid update_mask path: {path}")));
            }
        }
        let current = self.stored(&found.key);
        let version = i64::from(incoming.version.unwrap_or(0));
        if ![0, 1, 3].contains(&version) {
            return Err(StoreError::Invalid(format!(
                "Invalid policy version: {version}. Valid values are 0, 1 and 3."
            )));
        }
        if kind == Kind::Bucket
            && incoming.bindings.iter().any(|b| b.condition.is_some())
            && !self.bucket(id).is_some_and(|b| b.uniform_bucket_level_access)
        {
            // 412, not 400: python-storage's system test expects `PreconditionFailed` matching
            // "enable uniform bucket-level access" (googleapis/python-storage,
            // tests/system/test_bucket.py, test_get_set_iam_policy). The full text is ours.
            return Err(StoreError::FailedPrecondition(format!(
                "IAM conditions cannot be used on bucket {id}; enable uniform bucket-level access on the bucket \
                 first. See https://cloud.google.com/storage/docs/uniform-bucket-level-access"
            )));
        }
        let in_hierarchy = |role: &str| self.custom_role_in_hierarchy(&found.key, role);
        let bindings =
            validate_bindings(kind, &incoming.bindings, version, &self.known_identities(), &in_hierarchy)?;
        self.check_new_bindings(kind, &current.bindings, &bindings)?;
        // "Only projects, folders, and organizations accept conditions to limit role granting in
        // their allow policies" (<https://cloud.google.com/iam/docs/setting-limits-on-granting-roles>).
        // The message is the emulator's; Google's is not documented.
        if !kind.is_hierarchy()
            && let Some(b) = bindings.iter().find(|b| {
                b.condition.as_ref().is_some_and(|c| validation::reads_modified_grants(&c.expression))
            })
        {
            return Err(StoreError::Invalid(format!(
                "Condition on role {} uses iam.googleapis.com/modifiedGrantsByRole, which only projects, folders \
                 and organizations accept.",
                b.role
            )));
        }
        // Delegated role granting: `authorize` above let through a caller whose only route to
        // setIamPolicy may be a binding conditioned on the roles the request modifies (there the
        // attribute was undefined, so its default `[]` made `hasOnly` true). Now that the new
        // bindings are known, every condition is evaluated again with the attribute bound to "the
        // role names from the role bindings that the request modifies"
        // (<https://cloud.google.com/iam/docs/conditions-attribute-reference#api-attributes>), and a
        // write touching another role gets the same 403 as a caller without the permission.
        let modified = modified_roles(&current.bindings, &bindings);
        if !self.has_permission_for(
            caller,
            &found.key,
            &kind.permission("setIamPolicy"),
            now,
            Some(&modified),
        ) {
            return Err(StoreError::Denied {
                permission: kind.permission("setIamPolicy"),
                resource: display_name(kind, id),
            });
        }
        let mut extra = Map::new();
        let audit = if mask.iter().any(|p| *p == "auditConfigs" || *p == "audit_configs") {
            incoming.extra.get("auditConfigs").cloned()
        } else {
            current.extra.get("auditConfigs").cloned()
        };
        if let Some(a) = audit.filter(|a| !a.as_array().is_some_and(Vec::is_empty)) {
            extra.insert("auditConfigs".into(), a);
        }
        let principals = bindings.iter().map(|b| b.members.len()).sum::<usize>() + audit_exemptions(&extra);
        if principals > MAX_PRINCIPALS {
            // Google's words, e.g. <https://github.com/kubeflow/pipelines/issues/1146>.
            return Err(StoreError::Invalid(format!(
                "The number of members in the policy ({}) is larger than the maximum allowed size {}.",
                thousands(principals),
                thousands(MAX_PRINCIPALS)
            )));
        }
        if let Some(etag) = incoming.etag.as_deref().filter(|e| !e.is_empty()) {
            let sent =
                decode_etag(etag).ok_or_else(|| StoreError::Invalid(format!("Invalid etag: {etag}")))?;
            let stored = current.etag.as_deref().and_then(decode_etag).unwrap_or_default();
            if sent != stored {
                return Err(StoreError::Aborted {
                    sent: etag.to_string(),
                    current: current.etag.clone().unwrap_or_else(|| EMPTY_ETAG.to_string()),
                });
            }
            let stored_version = if current.has_conditions() { 3 } else { 1 };
            if version.max(1) < stored_version {
                // <https://github.com/hashicorp/vault-plugin-secrets-gcp/issues/88>
                return Err(StoreError::Invalid(format!(
                    "Specified policy version ({}) cannot be less than the existing policy version ({stored_version}). \
                     For more information, please refer to https://cloud.google.com/iam/docs/policies#versions",
                    version.max(1)
                )));
            }
        }
        let conditional = bindings.iter().any(|b| b.condition.is_some());
        let stored = Policy {
            version: Some(if conditional { 3 } else { 1 }),
            bindings,
            extra,
            etag: Some(if kind == Kind::Bucket {
                super::applies::next_storage_etag(current.etag.as_deref())
            } else {
                self.next_etag(now)
            }),
        };
        // Every successful write leaves an Admin Activity entry, as Google's do (issue 11 item 5).
        let sequence = self.data.log_entries.len() as u64 + 1;
        let entry = super::audit_log::set_iam_policy_entry(
            self,
            caller,
            kind,
            &found.key,
            (&current, &stored),
            now,
            sequence,
        );
        self.log_json.push(compact(&entry));
        self.data.log_entries.push(entry);
        self.log_version += 1;
        let before = self.data.policies.insert(found.key.clone(), stored.clone());
        self.history.entry(found.key).or_default().push((now, before));
        Ok(stored)
    }

    /// Appends an audit-log entry written elsewhere (Privileged Access Manager's, `state::pam`).
    pub fn push_log_entry(&mut self, entry: Value) {
        self.log_json.push(compact(&entry));
        self.data.log_entries.push(entry);
        self.log_version += 1;
    }

    /// Takes back the last audit-log entry (for PAM to name its service agent on a write it made).
    pub fn pop_log_entry(&mut self) -> Option<Value> {
        self.log_json.pop();
        self.log_version += 1;
        self.data.log_entries.pop()
    }

    /// `testIamPermissions`: the subset of `permissions` the caller holds. An unknown resource is a
    /// 403, like every other call on it.
    pub fn test_permissions(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        permissions: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let denied =
            StoreError::Denied { permission: kind.permission("get"), resource: display_name(kind, id) };
        let Some(found) = self.find(kind, id) else {
            return Err(self.missing(caller, kind, id, &kind.permission("get"), now, denied));
        };
        for p in permissions {
            if p.contains('*') {
                return Err(StoreError::Invalid(format!(
                    "Permissions with wildcards (such as '*') are not allowed: {p}"
                )));
            }
            super::applies::check_testable(p, kind)?;
        }
        Ok(permissions.iter().filter(|p| self.has_permission(caller, &found.key, p, now)).cloned().collect())
    }

    /// Renames the method of the last audit entry: Cloud Run's v2 API logs its writes under
    /// `google.cloud.run.v2.Services.SetIamPolicy` (issue 18 item 5), which only the route knows.
    pub fn rename_last_method(&mut self, method: &str) {
        if let Some(entry) = self.data.log_entries.last_mut() {
            entry["protoPayload"]["methodName"] = Value::String(method.to_string());
            if let Some(text) = self.log_json.last_mut() {
                *text = compact(entry);
            }
            self.log_version += 1;
        }
    }

    /// A new etag: 8 bytes, never repeated. Google's look like `BwYRRpZ0Nr8=` (a timestamp in
    /// microseconds); these are too, made strictly increasing.
    fn next_etag(&mut self, now: DateTime<Utc>) -> String {
        let micros = u64::try_from(now.timestamp_micros()).unwrap_or(0);
        self.last_etag = micros.max(self.last_etag + 1);
        STANDARD.encode(self.last_etag.to_be_bytes())
    }

    /// Every identity the store knows (token and refresh-token holders, service accounts, groups
    /// and their members, the metadata principal), keyed `type:lowercased-address`, each in its
    /// own case.
    pub fn known_identities(&self) -> HashMap<String, String> {
        let d = &self.data;
        let mut known = HashMap::new();
        let sas = d.service_accounts.iter().map(|sa| format!("serviceAccount:{}", sa.email));
        let all = d
            .tokens
            .iter()
            .chain(&d.refresh_tokens)
            .map(|t| t.principal.clone())
            .chain(sas)
            .chain(
                d.groups
                    .iter()
                    .flat_map(|g| std::iter::once(g.name.clone()).chain(g.members.iter().cloned())),
            )
            .chain(d.metadata_principal.clone());
        for p in all {
            if let Some((kind, email)) = email_key(&p) {
                known.entry(format!("{kind}:{email}")).or_insert_with(|| p.clone());
            }
        }
        known
    }

    // ---- identities -----------------------------------------------------------------------------

    /// The principal a bearer token stands for, if it is known and not expired at wall time `wall`.
    pub fn token_principal(&self, token: &str, wall: DateTime<Utc>) -> Option<&Token> {
        self.data.tokens.iter().find(|t| t.token == token && t.expire_time.is_none_or(|e| e > wall))
    }

    /// Issues an access token for `principal`, valid for `seconds` of wall time.
    pub fn issue_token(&mut self, principal: &str, wall: DateTime<Utc>, seconds: i64) -> Token {
        let token = Token {
            token: format!("ya29.emu-{}", hex::encode(rand::random::<[u8; 24]>())),
            principal: principal.to_string(),
            expire_time: Some(wall + chrono::Duration::seconds(seconds)),
        };
        // Expired tokens are of no use to anyone; dropping them keeps the state file small.
        self.data.tokens.retain(|t| t.expire_time.is_none_or(|e| e > wall));
        self.data.tokens.push(token.clone());
        token
    }

    pub fn add_token(&mut self, token: Token) {
        self.data.tokens.retain(|t| t.token != token.token);
        self.data.tokens.push(token);
    }

    pub fn service_account_key(&self, key_id: &str) -> Option<(&ServiceAccount, &ServiceAccountKey)> {
        self.data
            .service_accounts
            .iter()
            .find_map(|sa| sa.keys.iter().find(|k| k.key_id == key_id).map(|k| (sa, k)))
    }

    pub fn add_service_account_key(&mut self, email: &str, key: ServiceAccountKey) {
        match self.data.service_accounts.iter_mut().find(|sa| sa.email == email) {
            Some(sa) => sa.keys.push(key),
            None => self.data.service_accounts.push(ServiceAccount {
                email: email.to_string(),
                keys: vec![key],
                ..ServiceAccount::default()
            }),
        }
    }
}

/// A resource's name as a client sent it, for 403 messages: `projects/p`, `folders/N`; the other
/// kinds' routes pass the full name already (a bucket: its name alone, as Storage's messages do).
/// The basic role a convenience value's prefix stands for.
/// <https://cloud.google.com/storage/docs/access-control/iam#convenience-values>
fn convenience_role(prefix: &str) -> Option<&'static str> {
    match prefix {
        "projectOwner" => Some("roles/owner"),
        "projectEditor" => Some("roles/editor"),
        "projectViewer" => Some("roles/viewer"),
        _ => None,
    }
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
        etag: Some(super::applies::FIRST_STORAGE_ETAG.into()),
        bindings: vec![
            binding("roles/storage.legacyBucketOwner", &["projectEditor", "projectOwner"]),
            binding("roles/storage.legacyBucketReader", &["projectViewer"]),
            binding("roles/storage.legacyObjectOwner", &["projectEditor", "projectOwner"]),
            binding("roles/storage.legacyObjectReader", &["projectViewer"]),
        ],
        ..Policy::default()
    }
}

/// The roles whose bindings differ between the stored policy and the new one: a binding of the
/// role added, removed, or with other members or another condition (members compared as a set,
/// conditions by expression, title and description, the fields Google compares). Sorted.
pub fn modified_roles(before: &[Binding], after: &[Binding]) -> Vec<String> {
    use std::collections::BTreeSet;
    type Shape = (Option<(String, String, String)>, BTreeSet<String>);
    let shapes = |bindings: &[Binding]| {
        let mut by_role: BTreeMap<String, Vec<Shape>> = BTreeMap::new();
        for b in bindings {
            let condition = b.condition.as_ref().map(|c| {
                (
                    c.expression.clone(),
                    c.title.clone().unwrap_or_default(),
                    c.description.clone().unwrap_or_default(),
                )
            });
            by_role.entry(b.role.clone()).or_default().push((condition, b.members.iter().cloned().collect()));
        }
        for v in by_role.values_mut() {
            v.sort();
            v.retain(|(_, members)| !members.is_empty());
        }
        by_role.retain(|_, v| !v.is_empty());
        by_role
    };
    let (a, b) = (shapes(before), shapes(after));
    let roles: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    roles.into_iter().filter(|r| a.get(*r) != b.get(*r)).cloned().collect()
}

fn display_name(kind: Kind, id: &str) -> String {
    if kind.is_hierarchy() { format!("{}/{id}", kind.collection()) } else { id.to_string() }
}

/// `requestedPolicyVersion` may be 0 (unset), 1 or 3.
/// <https://cloud.google.com/iam/docs/policies#specifying-version-get>
fn check_requested_version(v: i64) -> Result<(), StoreError> {
    if [0, 1, 3].contains(&v) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "Invalid requested policy version: {v}. Valid values are 0, 1 and 3."
        )))
    }
}

/// `roles/x_withcond_<20 hex>`: the role of a conditional binding in a version-1 view. Google's
/// suffix is an opaque hash; ours is the first 10 bytes of SHA-256 over the condition.
pub fn withcond_role(role: &str, c: &Expr) -> String {
    let mut h = Sha256::new();
    for part in [c.expression.as_str(), c.title(), c.description()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("{role}_withcond_{}", hex::encode(&h.finalize()[..10]))
}

/// An etag as bytes, from either base64 alphabet (gcloud sends back the URL-safe one it decoded
/// into, observed with gcloud 528 against a capture server: `BwY+RpZ/Nr8=` comes back as
/// `BwY-RpZ_Nr8=`).
pub fn decode_etag(etag: &str) -> Option<Vec<u8>> {
    STANDARD.decode(etag).or_else(|_| URL_SAFE.decode(etag)).ok()
}

fn etag_number(etag: &str) -> Option<u64> {
    let bytes: [u8; 8] = decode_etag(etag)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

fn audit_exemptions(extra: &Map<String, Value>) -> usize {
    extra
        .get("auditConfigs")
        .and_then(Value::as_array)
        .map(|configs| {
            configs
                .iter()
                .filter_map(|c| c.get("auditLogConfigs").and_then(Value::as_array))
                .flatten()
                .filter_map(|l| l.get("exemptedMembers").and_then(Value::as_array))
                .map(Vec::len)
                .sum()
        })
        .unwrap_or(0)
}

/// `1500` → `1,500`, as Google prints counts in its limit message.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Checks every binding the way Google does and merges bindings with the same role and condition
/// (members de-duplicated, first occurrence kept), then orders bindings by role and members
/// alphabetically as Google's responses show them.
fn validate_bindings(
    kind: Kind,
    bindings: &[Binding],
    version: i64,
    known: &HashMap<String, String>,
    custom_in_hierarchy: &dyn Fn(&str) -> bool,
) -> Result<Vec<Binding>, StoreError> {
    let mut merged: Vec<Binding> = Vec::new();
    for b in bindings {
        // A malformed role and a predefined role Google does not define get the same answer:
        // "Role roles/securityReviewer is not supported for this resource."
        // (terraform-google-modules/terraform-google-iam#91, #219), a custom role not defined
        // on the resource or above another: "Role (organizations/59485982875/roles/FortigateSdnViewer)
        // does not exist in the resource's hierarchy." (GoogleCloudPlatform/pubsec-declarative-toolkit#608).
        let predefined = b.role.starts_with("roles/");
        if !validation::role_ok(&b.role) || (predefined && !catalog::is_predefined(&b.role)) {
            return Err(StoreError::Invalid(format!("Role {} is not supported for this resource.", b.role)));
        }
        if !predefined && !custom_in_hierarchy(&b.role) {
            return Err(StoreError::Invalid(format!(
                "Role ({}) does not exist in the resource's hierarchy.",
                b.role
            )));
        }
        if b.members.is_empty() {
            // "bindings with no members will result in an error" (google/iam/v1/policy.proto).
            return Err(StoreError::Invalid(format!("Policy binding for role {} has no members.", b.role)));
        }
        for m in &b.members {
            if !m.contains(':') && !PUBLIC.contains(&m.as_str()) {
                // <https://github.com/hashicorp/terraform-provider-google/issues/4965>
                return Err(StoreError::Invalid(
                    "Policy members must be of the form \"<type>:<value>\".".into(),
                ));
            }
            if validation::member_kind(m).is_none() {
                return Err(StoreError::Invalid(format!(
                    "The member {m} is of an unknown type. Please set a valid type prefix for the member."
                )));
            }
            if kind != Kind::Bucket && validation::member_kind(m) == Some(MemberKind::Convenience) {
                // Convenience values are Cloud Storage's alone: Storage's `Policy.bindings[].members`
                // lists `projectOwner:projectid` ("Owners of the given project"), `projectEditor:`,
                // `projectViewer:` (storage v1 discovery document; gcloud's
                // `storage_v1_messages.py`), Resource Manager's `Binding.members` does not. That
                // the other services refuse them with the answer for any unknown prefix is assumed.
                return Err(StoreError::Invalid(format!(
                    "The member {m} is of an unknown type. Please set a valid type prefix for the member."
                )));
            }
            if kind == Kind::Project && PUBLIC.contains(&m.as_str()) {
                // "Project does not support allUsers and allAuthenticatedUsers as members in a
                // Binding of a Policy." (v1 projects.setIamPolicy reference)
                return Err(StoreError::Invalid(format!(
                    "Project does not support {m} as a member in a Binding of a Policy."
                )));
            }
        }
        if let Some(c) = &b.condition {
            if version < 3 && kind == Kind::Bucket {
                // Storage's own words include "at least 3" (python-storage's system test
                // test_get_set_iam_policy expects `BadRequest` matching it).
                return Err(StoreError::Invalid(
                    "IAM policy version must be at least 3 to set a policy with conditions.".into(),
                ));
            }
            if version < 3 {
                return Err(StoreError::Invalid(
                    "Conditional bindings require policy version 3. For more information, please refer to \
                     https://cloud.google.com/iam/docs/policies#versions"
                        .into(),
                ));
            }
            if BASIC_ROLES.contains(&b.role.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "Conditions are not supported for basic role {}. For more information, please refer to \
                     https://cloud.google.com/iam/docs/conditions-overview#limitations",
                    b.role
                )));
            }
            if let Some(m) = b.members.iter().find(|m| PUBLIC.contains(&m.as_str())) {
                return Err(StoreError::Invalid(format!(
                    "Conditions are not supported for {m}. For more information, please refer to \
                     https://cloud.google.com/iam/docs/conditions-overview#limitations"
                )));
            }
            if let Some(e) = validation::condition_error(&c.expression) {
                return Err(StoreError::Invalid(format!("Condition expression is invalid: {e}")));
            }
        }
        // Known identities are stored in their own case, as Google does.
        let canonical: Vec<String> = b.members.iter().map(|m| canonical_member(m, known)).collect();
        let b = &Binding { members: canonical, ..b.clone() };
        match merged.iter_mut().find(|x| x.same_target(b)) {
            Some(x) => {
                for m in &b.members {
                    if !x.members.contains(m) {
                        x.members.push(m.clone());
                    }
                }
            }
            None => {
                let mut members: Vec<String> = Vec::new();
                for m in &b.members {
                    if !members.contains(m) {
                        members.push(m.clone());
                    }
                }
                merged.push(Binding { members, ..b.clone() });
            }
        }
    }
    let mut per_role_member: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for b in &merged {
        for m in &b.members {
            *per_role_member.entry((&b.role, m)).or_default() += 1;
        }
    }
    if let Some(((role, member), n)) =
        per_role_member.into_iter().find(|(_, n)| *n > MAX_SAME_ROLE_AND_MEMBER)
    {
        return Err(StoreError::Invalid(format!(
            "The policy has {n} bindings of role {role} to principal {member}; at most {MAX_SAME_ROLE_AND_MEMBER} \
             bindings may bind the same principal to the same role."
        )));
    }
    for b in &mut merged {
        b.members.sort();
    }
    merged.sort_by(|a, b| a.role.cmp(&b.role));
    Ok(merged)
}

/// Why a stored policy (from a seed or state file) could not have come from Google, if it could
/// not: the same checks as a write, plus a decodable etag.
pub(crate) fn check_policy(
    kind: Kind,
    policy: &Policy,
    known: &HashMap<String, String>,
    custom_in_hierarchy: &dyn Fn(&str) -> bool,
) -> Result<(), String> {
    let version = if policy.has_conditions() { 3 } else { i64::from(policy.version.unwrap_or(1)) };
    let message = |e: StoreError| match e {
        StoreError::Invalid(m) | StoreError::NotFound(m) | StoreError::FailedPrecondition(m) => m,
        other => format!("{other:?}"),
    };
    let bindings =
        validate_bindings(kind, &policy.bindings, version, known, custom_in_hierarchy).map_err(message)?;
    let principals =
        bindings.iter().map(|b| b.members.len()).sum::<usize>() + audit_exemptions(&policy.extra);
    if principals > MAX_PRINCIPALS {
        return Err(format!("it has {principals} principals; at most {MAX_PRINCIPALS} are allowed"));
    }
    if let Some(etag) = &policy.etag
        && decode_etag(etag).is_none()
    {
        return Err(format!("its etag `{etag}` is not base64"));
    }
    Ok(())
}

/// The address of an e-mail member (`user:A@B` → `A@B`), lowercased, with its type.
fn email_key(member: &str) -> Option<(&str, String)> {
    let (kind, email) = member.split_once(':')?;
    matches!(kind, "user" | "group" | "serviceAccount").then(|| (kind, email.to_ascii_lowercase()))
}

/// Two e-mail members name the same account: same type, same address without regard to case.
/// (On every permission check, so without allocating.)
fn same_email_member(a: &str, b: &str) -> bool {
    match (email_parts(a), email_parts(b)) {
        (Some((ka, ea)), Some((kb, eb))) => ka == kb && ea.eq_ignore_ascii_case(eb),
        _ => a == b,
    }
}

/// `user:A@B` → (`user`, `A@B`), for the three e-mail types.
fn email_parts(member: &str) -> Option<(&str, &str)> {
    member.split_once(':').filter(|(k, _)| matches!(*k, "user" | "group" | "serviceAccount"))
}

/// A member as Google stores it: an e-mail member of a known identity in the identity's own case;
/// anything else as sent.
fn canonical_member(member: &str, known: &HashMap<String, String>) -> String {
    match email_key(member) {
        Some((kind, email)) => {
            known.get(&format!("{kind}:{email}")).cloned().unwrap_or_else(|| member.to_string())
        }
        None => member.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::state::model::Clock;
    use crate::state::seed::demo_seed;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, 0, 0).unwrap()
    }

    fn alice() -> Caller {
        Caller::Principal("user:alice@example.com".into())
    }

    fn bob() -> Caller {
        Caller::Principal("user:bob@example.com".into())
    }

    fn store() -> Store {
        Store::new(demo_seed())
    }

    fn read(s: &Store, v: i64) -> Policy {
        s.get_policy(&alice(), Kind::Project, "jit-demo-prod", v, t(12)).unwrap()
    }

    fn write(s: &mut Store, p: Policy) -> Result<Policy, StoreError> {
        s.set_policy(&alice(), Kind::Project, "jit-demo-prod", p, None, t(12))
    }

    /// Delegated role granting: bob holds projectIamAdmin only under the documented condition, so
    /// a write changing a listed role lands and one changing any other role is a 403, whose
    /// stored policy is untouched; reads are not limited.
    #[test]
    fn a_delegate_changes_only_the_roles_listed() {
        let mut s = store();
        let mut p = read(&s, 3);
        p.bindings.push(Binding {
            role: "roles/resourcemanager.projectIamAdmin".into(),
            members: vec!["user:bob@example.com".into()],
            condition: Some(Expr {
                expression: "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(\
                             ['roles/logging.viewer', 'roles/pubsub.viewer']) && request.time < \
                             timestamp(\"2026-11-25T14:00:00Z\")"
                    .into(),
                title: Some("delegation".into()),
                ..Expr::default()
            }),
            ..Binding::default()
        });
        write(&mut s, p).unwrap();
        let as_bob = |s: &mut Store, role: &str, at: u32| {
            let mut p = s.get_policy(&bob(), Kind::Project, "jit-demo-prod", 3, t(at))?;
            p.bindings.push(Binding {
                role: role.into(),
                members: vec!["user:carol@example.com".into()],
                ..Binding::default()
            });
            s.set_policy(&bob(), Kind::Project, "jit-demo-prod", p, None, t(at))
        };
        assert!(as_bob(&mut s, "roles/logging.viewer", 12).is_ok());
        let before = s.stored("projects/jit-demo-prod");
        assert_eq!(
            as_bob(&mut s, "roles/storage.admin", 12).unwrap_err(),
            StoreError::Denied {
                permission: "resourcemanager.projects.setIamPolicy".into(),
                resource: "projects/jit-demo-prod".into()
            }
        );
        assert_eq!(s.stored("projects/jit-demo-prod"), before, "nothing was written");
        // Removing a member of an unlisted role is a change of that role too.
        let mut p = s.get_policy(&bob(), Kind::Project, "jit-demo-prod", 3, t(12)).unwrap();
        p.bindings.retain(|b| b.role != "roles/viewer");
        assert!(s.set_policy(&bob(), Kind::Project, "jit-demo-prod", p, None, t(12)).is_err());
        // After the delegation's end, not even a listed role.
        assert!(as_bob(&mut s, "roles/pubsub.viewer", 15).is_err());
        assert!(
            s.test_permissions(
                &bob(),
                Kind::Project,
                "jit-demo-prod",
                &["resourcemanager.projects.setIamPolicy".into()],
                t(12)
            )
            .unwrap()
            .len()
                == 1
        );
    }

    #[test]
    fn only_the_hierarchy_accepts_a_delegation_condition() {
        let mut s = store();
        let mut p = s.get_policy(&alice(), Kind::Bucket, "jit-demo-prod-data", 3, t(12)).unwrap();
        p.bindings.push(Binding {
            role: "roles/storage.admin".into(),
            members: vec!["user:bob@example.com".into()],
            condition: Some(Expr {
                expression: "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/storage.objectViewer'])".into(),
                title: Some("d".into()),
                ..Expr::default()
            }),
            ..Binding::default()
        });
        p.version = Some(3);
        assert_eq!(
            s.set_policy(&alice(), Kind::Bucket, "jit-demo-prod-data", p, None, t(12)).unwrap_err(),
            StoreError::Invalid(
                "Condition on role roles/storage.admin uses iam.googleapis.com/modifiedGrantsByRole, which only \
                 projects, folders and organizations accept."
                    .into()
            )
        );
    }

    #[test]
    fn modified_roles_compare_bindings_by_role() {
        let b = |role: &str, members: &[&str], cond: Option<&str>| Binding {
            role: role.into(),
            members: members.iter().map(|m| m.to_string()).collect(),
            condition: cond.map(|c| Expr { expression: c.into(), ..Expr::default() }),
            ..Binding::default()
        };
        let before = vec![
            b("roles/a.b", &["user:x@e.com", "user:y@e.com"], None),
            b("roles/c.d", &["user:x@e.com"], None),
        ];
        assert_eq!(modified_roles(&before, &before), Vec::<String>::new());
        let reordered = vec![
            b("roles/c.d", &["user:x@e.com"], None),
            b("roles/a.b", &["user:y@e.com", "user:x@e.com"], None),
        ];
        assert_eq!(modified_roles(&before, &reordered), Vec::<String>::new(), "order is no change");
        let after = vec![
            b("roles/a.b", &["user:x@e.com"], None),
            b("roles/c.d", &["user:x@e.com"], Some("true")),
            b("roles/e.f", &["user:z@e.com"], None),
        ];
        assert_eq!(modified_roles(&before, &after), ["roles/a.b", "roles/c.d", "roles/e.f"]);
    }

    #[test]
    fn delegation_conditions_follow_google_s_rules() {
        let too_many: Vec<String> = (0..11).map(|i| format!("'roles/r.r{i}'")).collect();
        let cases = [
            (
                format!("api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([{}])", too_many.join(", ")),
                Some("hasOnly() on iam.googleapis.com/modifiedGrantsByRole lists 11 roles; at most 10 are allowed"),
            ),
            (
                "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', ['roles/a.b']).hasOnly(['roles/a.b'])".to_string(),
                Some("the default value of iam.googleapis.com/modifiedGrantsByRole must be an empty list"),
            ),
            (
                "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([request.path])".to_string(),
                Some("hasOnly() on iam.googleapis.com/modifiedGrantsByRole takes a list of string constants"),
            ),
            ("api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/a.b'])".to_string(), None),
        ];
        for (e, want) in cases {
            assert_eq!(validation::condition_error(&e).as_deref(), want, "{e}");
        }
    }

    fn grant_bob(expiry: &str) -> Binding {
        Binding {
            role: "roles/resourcemanager.projectIamAdmin".into(),
            members: vec!["user:bob@example.com".into()],
            condition: Some(Expr {
                expression: format!("request.time < timestamp(\"{expiry}\")"),
                title: Some("jit".into()),
                ..Expr::default()
            }),
            ..Binding::default()
        }
    }

    #[test]
    fn etags_are_8_bytes_new_on_every_write_and_accepted_in_either_alphabet() {
        let mut s = store();
        let p = read(&s, 3);
        let e1 = p.etag.clone().unwrap();
        assert_eq!(decode_etag(&e1).unwrap().len(), 8);
        let mut p2 = write(&mut s, p.clone()).unwrap();
        let e2 = p2.etag.clone().unwrap();
        assert_ne!(e1, e2);
        assert_eq!(decode_etag(&e2).unwrap().len(), 8);
        // The same content written twice still gets a new etag.
        p2.version = Some(3);
        let e3 = write(&mut s, p2.clone()).unwrap().etag.unwrap();
        assert_ne!(e2, e3);
        // The stale etag: 409.
        assert_eq!(
            write(&mut s, p2.clone()),
            Err(StoreError::Aborted { sent: e2.clone(), current: e3.clone() })
        );
        // URL-safe spelling of the current etag is the same etag.
        let mut p3 = read(&s, 3);
        p3.etag = Some(p3.etag.unwrap().replace('+', "-").replace('/', "_"));
        write(&mut s, p3).unwrap();
        // No etag: a blind write.
        let mut blind = read(&s, 3);
        blind.etag = None;
        write(&mut s, blind).unwrap();
    }

    #[test]
    fn url_safe_and_standard_etags_decode_alike() {
        assert_eq!(decode_etag("BwY+RpZ/Nr8="), decode_etag("BwY-RpZ_Nr8="));
        assert!(decode_etag("not base64!").is_none());
    }

    #[test]
    fn versions_and_withcond_views() {
        let s = store();
        let v3 = read(&s, 3);
        assert_eq!(v3.version, Some(3));
        assert!(v3.bindings.iter().any(|b| b.condition.is_some()));
        for v in [0, 1] {
            let v1 = read(&s, v);
            assert_eq!(v1.version, Some(1));
            assert!(v1.bindings.iter().all(|b| b.condition.is_none()));
            let role = &v1.bindings.iter().find(|b| b.role.contains("_withcond_")).unwrap().role;
            let suffix = role.split("_withcond_").nth(1).unwrap();
            assert_eq!(suffix.len(), 20);
            assert!(suffix.chars().all(|c| c.is_ascii_hexdigit()));
            assert!(v1.is_version1_view_of_conditions());
        }
        // No conditions: version 1 whatever was asked.
        let dev = s.get_policy(&alice(), Kind::Project, "jit-demo-dev", 3, t(12)).unwrap();
        assert_eq!(dev.version, Some(1));
        assert!(matches!(
            s.get_policy(&alice(), Kind::Project, "jit-demo-dev", 2, t(12)),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn a_version_1_write_over_conditions_with_an_etag_is_refused() {
        let mut s = store();
        let mut p = read(&s, 3);
        p.bindings.retain(|b| b.condition.is_none());
        p.version = Some(1);
        let Err(StoreError::Invalid(m)) = write(&mut s, p.clone()) else { panic!() };
        assert!(m.starts_with(
            "Specified policy version (1) cannot be less than the existing policy version (3)."
        ));
        // Without an etag the same write is a blind overwrite.
        p.etag = None;
        assert_eq!(write(&mut s, p).unwrap().version, Some(1));
    }

    #[test]
    fn a_condition_needs_version_3() {
        let mut s = store();
        let mut p = read(&s, 3);
        p.version = Some(1);
        let Err(StoreError::Invalid(m)) = write(&mut s, p) else { panic!() };
        assert!(m.contains("version 3"), "{m}");
    }

    #[test]
    fn validation() {
        let mut s = store();
        let base = read(&s, 3);
        let with = |b: Binding| {
            let mut p = base.clone();
            p.bindings.push(b);
            p
        };
        let cases = [
            (
                Binding {
                    role: "roles/storage.admin".into(),
                    members: vec!["alice@example.com".into()],
                    ..Binding::default()
                },
                "Policy members must be of the form",
            ),
            (
                Binding {
                    role: "roles/storage.admin".into(),
                    members: vec!["robot:x@example.com".into()],
                    ..Binding::default()
                },
                "unknown type",
            ),
            (
                Binding {
                    role: "storage.admin".into(),
                    members: vec!["user:x@example.com".into()],
                    ..Binding::default()
                },
                "Role storage.admin is not supported",
            ),
            (
                Binding { role: "roles/storage.admin".into(), members: vec![], ..Binding::default() },
                "has no members",
            ),
            (
                Binding {
                    role: "roles/storage.admin".into(),
                    members: vec!["allUsers".into()],
                    ..Binding::default()
                },
                "Project does not support allUsers",
            ),
            (
                Binding { role: "roles/owner".into(), ..grant_bob("2026-11-25T14:00:00Z") },
                "basic role roles/owner",
            ),
            (
                Binding {
                    condition: Some(Expr {
                        expression: "request.time < ".into(),
                        title: Some("x".into()),
                        ..Expr::default()
                    }),
                    ..grant_bob("x")
                },
                "Condition expression is invalid",
            ),
        ];
        for (b, want) in cases {
            let Err(StoreError::Invalid(m)) = write(&mut s, with(b.clone())) else {
                panic!("{b:?} accepted")
            };
            assert!(m.contains(want), "{m} lacks {want}");
        }
        // allUsers is fine unconditionally on an organization, not with a condition.
        let mut org = s.get_policy(&alice(), Kind::Organization, "123456789012", 3, t(12)).unwrap();
        org.bindings.push(Binding {
            role: "roles/browser".into(),
            members: vec!["allAuthenticatedUsers".into()],
            ..Binding::default()
        });
        s.set_policy(&alice(), Kind::Organization, "123456789012", org.clone(), None, t(12)).unwrap();
        let mut org = s.get_policy(&alice(), Kind::Organization, "123456789012", 3, t(12)).unwrap();
        org.version = Some(3);
        org.bindings.push(Binding { members: vec!["allUsers".into()], ..grant_bob("2026-11-25T14:00:00Z") });
        let Err(StoreError::Invalid(m)) =
            s.set_policy(&alice(), Kind::Organization, "123456789012", org, None, t(12))
        else {
            panic!()
        };
        assert!(m.contains("Conditions are not supported for allUsers"), "{m}");
    }

    #[test]
    fn bindings_with_the_same_role_and_condition_merge_and_members_deduplicate() {
        let mut s = store();
        let mut p = read(&s, 3);
        p.bindings.push(grant_bob("2026-11-25T14:00:00Z"));
        let mut again = grant_bob("2026-11-25T14:00:00Z");
        again.members = vec!["user:dave@example.com".into(), "user:bob@example.com".into()];
        p.bindings.push(again);
        p.bindings.push(Binding {
            role: "roles/viewer".into(),
            members: vec!["user:erin@example.com".into()],
            ..Binding::default()
        });
        let stored = write(&mut s, p).unwrap();
        let jit: Vec<&Binding> =
            stored.bindings.iter().filter(|b| b.role == "roles/resourcemanager.projectIamAdmin").collect();
        assert_eq!(jit.len(), 1);
        assert_eq!(jit[0].members, ["user:bob@example.com", "user:dave@example.com"]);
        let viewers: Vec<&Binding> = stored.bindings.iter().filter(|b| b.role == "roles/viewer").collect();
        assert_eq!(viewers.len(), 1);
        assert!(viewers[0].members.contains(&"user:erin@example.com".to_string()));
        // Audit configs survive a write whose mask does not name them.
        assert!(stored.extra.contains_key("auditConfigs"));
    }

    #[test]
    fn limits() {
        let mut s = store();
        let mut p = read(&s, 3);
        let mut big = Binding { role: "roles/storage.objectViewer".into(), ..Binding::default() };
        let already = p.principal_count();
        for i in 0..(MAX_PRINCIPALS - already) {
            big.members.push(format!("user:u{i}@example.com"));
        }
        p.bindings.push(big.clone());
        let ok = write(&mut s, p).unwrap();
        assert_eq!(ok.principal_count(), MAX_PRINCIPALS);
        let mut p = read(&s, 3);
        p.bindings.push(Binding {
            role: "roles/compute.viewer".into(),
            members: vec!["user:one-more@example.com".into()],
            ..Binding::default()
        });
        let Err(StoreError::Invalid(m)) = write(&mut s, p) else { panic!() };
        assert_eq!(
            m,
            "The number of members in the policy (1,501) is larger than the maximum allowed size 1,500."
        );

        let mut s = store();
        let mut p = read(&s, 3);
        for i in 0..MAX_SAME_ROLE_AND_MEMBER {
            p.bindings.push(grant_bob(&format!("2026-11-25T{:02}:00:00Z", i + 1)));
        }
        let mut p = write(&mut s, p).unwrap();
        p.bindings.push(grant_bob("2026-11-26T00:00:00Z"));
        let Err(StoreError::Invalid(m)) = write(&mut s, p) else { panic!() };
        assert!(m.contains("at most 20"), "{m}");
    }

    #[test]
    fn permissions_follow_the_hierarchy_and_the_clock() {
        let mut s = store();
        let set = "resourcemanager.projects.setIamPolicy";
        // Alice is organization admin: everything below it.
        assert!(s.has_permission(&alice(), "projects/jit-demo-prod", set, t(12)));
        assert!(s.has_permission(
            &alice(),
            "folders/234567890123",
            "resourcemanager.folders.setIamPolicy",
            t(12)
        ));
        // Bob holds nothing.
        assert!(!s.has_permission(&bob(), "projects/jit-demo-prod", set, t(12)));
        assert!(matches!(
            s.get_policy(&bob(), Kind::Project, "jit-demo-prod", 3, t(12)),
            Err(StoreError::Denied { .. })
        ));
        // A time-bound grant: access before its end, none after.
        let mut p = read(&s, 3);
        p.bindings.push(grant_bob("2026-11-25T14:00:00Z"));
        write(&mut s, p).unwrap();
        assert!(s.has_permission(&bob(), "projects/jit-demo-prod", set, t(13)));
        assert!(!s.has_permission(&bob(), "projects/jit-demo-prod", set, t(14)));
        assert!(!s.has_permission(&bob(), "projects/jit-demo-dev", set, t(13)));
        // Groups and domains.
        let carol = Caller::Principal("user:carol@example.com".into());
        assert!(s.has_permission(&carol, "projects/jit-demo-prod", "logging.logEntries.list", t(12)));
        // Carol's own binding expired in 2024.
        assert!(!s.has_permission(&carol, "projects/jit-demo-prod", "bigquery.tables.getData", t(12)));
        assert!(s.has_permission(
            &bob(),
            "organizations/123456789012",
            "resourcemanager.organizations.get",
            t(12)
        ));
        // testIamPermissions returns the subset held.
        let asked = vec![set.to_string(), "storage.buckets.list".to_string()];
        assert_eq!(
            s.test_permissions(&bob(), Kind::Project, "jit-demo-prod", &asked, t(13)).unwrap(),
            vec![set.to_string()]
        );
        assert!(
            s.test_permissions(&bob(), Kind::Project, "jit-demo-prod", &asked, t(15)).unwrap().is_empty()
        );
        assert!(matches!(
            s.test_permissions(&bob(), Kind::Project, "nope-nope", &asked, t(15)),
            Err(StoreError::Denied { .. })
        ));
    }

    /// Google stores an e-mail member in the account's own case (terraform-provider-google #4276,
    /// #3880, #5107): the seed's `user:Jane.Doe@example.com` keeps her case whatever case a write
    /// uses, and e-mail members match callers without regard to case.
    #[test]
    fn e_mail_members_keep_the_accounts_own_case_and_match_without_it() {
        let mut s = store();
        let mut p = read(&s, 3);
        p.bindings.push(Binding {
            role: "roles/storage.objectViewer".into(),
            members: vec![
                "user:jane.doe@example.com".into(),
                "user:JANE.DOE@EXAMPLE.COM".into(),
                "user:Zed@Example.com".into(),
                "serviceAccount:JIT-CLEANUP@jit-demo-prod.iam.gserviceaccount.com".into(),
            ],
            ..Binding::default()
        });
        let stored = write(&mut s, p).unwrap();
        let b = stored.bindings.iter().find(|b| b.role == "roles/storage.objectViewer").unwrap();
        assert_eq!(
            b.members,
            [
                "serviceAccount:jit-cleanup@jit-demo-prod.iam.gserviceaccount.com",
                "user:Jane.Doe@example.com",
                // Unknown to the emulator: kept as sent.
                "user:Zed@Example.com",
            ]
        );
        let get = "storage.objects.get";
        let jane = Caller::Principal("user:Jane.Doe@example.com".into());
        assert!(s.has_permission(&jane, "projects/jit-demo-prod", get, t(12)));
        let zed = Caller::Principal("user:zed@example.com".into());
        assert!(s.has_permission(&zed, "projects/jit-demo-prod", get, t(12)));
        let other = Caller::Principal("user:zed@example.org".into());
        assert!(!s.has_permission(&other, "projects/jit-demo-prod", get, t(12)));
        // Groups and domains too.
        let carol = Caller::Principal("user:Carol@EXAMPLE.com".into());
        assert!(s.has_permission(&carol, "projects/jit-demo-prod", "logging.logEntries.list", t(12)));
        assert!(s.has_permission(
            &carol,
            "organizations/123456789012",
            "resourcemanager.organizations.get",
            t(12)
        ));
    }

    #[test]
    fn unknown_resources_are_denied_like_forbidden_ones() {
        let s = store();
        let Err(StoreError::Denied { permission, resource }) =
            s.get_policy(&alice(), Kind::Project, "no-such-project", 3, t(12))
        else {
            panic!()
        };
        assert_eq!(permission, "resourcemanager.projects.getIamPolicy");
        assert_eq!(resource, "projects/no-such-project");
        // Projects are found by number too.
        assert!(s.get_policy(&alice(), Kind::Project, "100000000001", 3, t(12)).is_ok());
    }

    #[test]
    fn the_clock_moves_by_offset_or_stays_frozen() {
        let c = Clock { offset_seconds: 3600, frozen_at: None };
        assert_eq!(c.now(t(1)), t(2));
        let c = Clock { offset_seconds: 0, frozen_at: Some(t(5)) };
        assert_eq!(c.now(t(1)), t(5));
    }

    #[test]
    fn tokens_expire_on_the_wall_clock() {
        let mut s = store();
        let tok = s.issue_token("user:bob@example.com", t(1), 3600);
        assert_eq!(s.token_principal(&tok.token, t(1)).unwrap().principal, "user:bob@example.com");
        assert!(s.token_principal(&tok.token, t(2)).is_none());
        assert_eq!(s.token_principal("alice-token", t(23)).unwrap().principal, "user:alice@example.com");
    }

    fn binding(role: &str, member: &str) -> Binding {
        Binding { role: role.into(), members: vec![member.into()], ..Binding::default() }
    }

    #[test]
    fn a_role_google_does_not_define_is_refused_with_googles_message() {
        let mut s = store();
        let mut p = read(&s, 3);
        p.bindings.push(binding("roles/storage.objectViwer", "user:bob@example.com"));
        assert_eq!(
            write(&mut s, p),
            Err(StoreError::Invalid(
                "Role roles/storage.objectViwer is not supported for this resource.".into()
            ))
        );
        // A custom role nobody declared, and one declared on another project.
        for role in ["projects/jit-demo-prod/roles/nope", "projects/jit-demo-dev/roles/secretReader"] {
            let mut p = read(&s, 3);
            p.bindings.push(binding(role, "user:bob@example.com"));
            assert_eq!(
                write(&mut s, p),
                Err(StoreError::Invalid(format!(
                    "Role ({role}) does not exist in the resource's hierarchy."
                ))),
            );
        }
    }

    #[test]
    fn every_predefined_role_and_declared_custom_roles_grant_their_permissions() {
        let mut s = store();
        let bob = bob();
        let access = "secretmanager.versions.access";
        assert!(!s.has_permission(&bob, "projects/jit-demo-prod", access, t(12)));
        let mut p = read(&s, 3);
        p.bindings.push(binding("roles/secretmanager.secretAccessor", "user:bob@example.com"));
        write(&mut s, p).unwrap();
        assert!(s.has_permission(&bob, "projects/jit-demo-prod", access, t(12)));
        assert!(!s.has_permission(&bob, "projects/jit-demo-prod", "secretmanager.secrets.delete", t(12)));

        // The project's own custom role, and the organization's one bound on a project below it.
        let mut s = store();
        let mut p = read(&s, 3);
        p.bindings.push(binding("projects/jit-demo-prod/roles/secretReader", "user:bob@example.com"));
        p.bindings.push(binding("organizations/123456789012/roles/iamAuditor", "user:bob@example.com"));
        write(&mut s, p).unwrap();
        assert!(s.has_permission(&bob, "projects/jit-demo-prod", access, t(12)));
        assert!(s.has_permission(
            &bob,
            "projects/jit-demo-prod",
            "resourcemanager.projects.getIamPolicy",
            t(12)
        ));
        assert!(!s.has_permission(&bob, "projects/jit-demo-prod", "secretmanager.secrets.delete", t(12)));
        // A deleted or disabled custom role stays bound and grants nothing.
        s.data.custom_roles.iter_mut().for_each(|r| r.deleted = r.name.ends_with("secretReader"));
        assert!(!s.has_permission(&bob, "projects/jit-demo-prod", access, t(12)));
        s.data.custom_roles.iter_mut().for_each(|r| {
            r.deleted = false;
            r.stage = Some("DISABLED".into());
        });
        assert!(!s.has_permission(&bob, "projects/jit-demo-prod", access, t(12)));
        s.data.custom_roles.iter_mut().for_each(|r| r.stage = None);
        assert!(s.has_permission(&bob, "projects/jit-demo-prod", access, t(12)));
    }

    #[test]
    fn seeds_with_custom_roles_are_checked() {
        let with = |f: &dyn Fn(&mut Data)| {
            let mut d = demo_seed();
            f(&mut d);
            d.check()
        };
        assert_eq!(
            with(&|d| d.custom_roles[1].name = "projects/nope-nope/roles/x".into()),
            Err("the parent `projects/nope-nope` of custom role `projects/nope-nope/roles/x` is not in the seed".into())
        );
        assert_eq!(
            with(&|d| d.custom_roles[1].name = "folders/234567890123/roles/x".into()),
            Err("custom role `folders/234567890123/roles/x` is not named projects/PROJECT_ID/roles/ID or organizations/NUMBER/roles/ID".into())
        );
        assert_eq!(
            with(&|d| d.custom_roles[1].included_permissions.push("secretmanager.versions.acess".into())),
            Err("custom role `projects/jit-demo-prod/roles/secretReader` includes `secretmanager.versions.acess`, which no predefined role carries (a typo?)".into())
        );
        assert_eq!(
            with(&|d| d.custom_roles[0].stage = Some("gA".into())),
            Err("custom role `organizations/123456789012/roles/iamAuditor` has stage `gA`; use ALPHA, BETA, GA, DEPRECATED, DISABLED or EAP".into())
        );
        assert_eq!(
            with(&|d| {
                let again = d.custom_roles[0].clone();
                d.custom_roles.push(again);
            }),
            Err("custom role `organizations/123456789012/roles/iamAuditor` appears twice".into())
        );
        // A seed's policy may bind a custom role only where it is defined or below.
        assert_eq!(
            with(&|d| d
                .policies
                .get_mut("projects/jit-demo-dev")
                .unwrap()
                .bindings
                .push(binding("projects/jit-demo-prod/roles/secretReader", "user:bob@example.com"))),
            Err("the policy of `projects/jit-demo-dev` cannot be served: Role (projects/jit-demo-prod/roles/secretReader) does not exist in the resource's hierarchy.".into())
        );
        assert_eq!(
            with(&|d| d
                .policies
                .get_mut("projects/jit-demo-dev")
                .unwrap()
                .bindings
                .push(binding("roles/a.b", "user:bob@example.com"))),
            Err("the policy of `projects/jit-demo-dev` cannot be served: Role roles/a.b is not supported for this resource.".into())
        );
    }

    #[test]
    fn seeds_are_checked() {
        assert_eq!(demo_seed().check(), Ok(()));
        let mut d = demo_seed();
        d.projects[0].parent = "folders/999".into();
        assert!(d.check().unwrap_err().contains("folders/999"));
        let mut d = demo_seed();
        d.policies.insert("projects/nope-nope".into(), Policy::default());
        assert!(d.check().unwrap_err().contains("projects/nope-nope"));
        let mut d = demo_seed();
        d.projects[1].project_number = d.projects[0].project_number.clone();
        assert!(d.check().unwrap_err().contains("twice"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// A write: which members to grant `roles/storage.objectViewer`, whether to send the etag
        /// read just before (fresh), an older one (stale) or none (blind), and in which alphabet.
        #[derive(Debug, Clone)]
        struct Write {
            members: Vec<u8>,
            etag: u8,
            url_safe: bool,
        }

        fn writes() -> impl Strategy<Value = Vec<Write>> {
            prop::collection::vec(
                (prop::collection::vec(0u8..6, 1..4), 0u8..3, any::<bool>())
                    .prop_map(|(members, etag, url_safe)| Write { members, etag, url_safe }),
                1..12,
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

            /// Every write lands or is ABORTED; a landed write is exactly what is stored next, a
            /// stale etag never lands, and etags never repeat.
            #[test]
            fn writes_land_whole_or_not_at_all(ws in writes()) {
                let mut s = store();
                let mut seen = BTreeSet::new();
                let mut previous_etag = read(&s, 3).etag.unwrap();
                seen.insert(previous_etag.clone());
                for w in ws {
                    let current = read(&s, 3);
                    let mut p = current.clone();
                    p.bindings.retain(|b| b.role != "roles/storage.objectViewer");
                    p.bindings.push(Binding {
                        role: "roles/storage.objectViewer".into(),
                        members: w.members.iter().map(|m| format!("user:u{m}@example.com")).collect(),
                        ..Binding::default()
                    });
                    let etag = match w.etag {
                        0 => current.etag.clone(),
                        1 => Some(previous_etag.clone()),
                        _ => None,
                    };
                    p.etag = etag.map(|e| if w.url_safe { e.replace('+', "-").replace('/', "_") } else { e });
                    let stale = w.etag == 1 && previous_etag != current.etag.clone().unwrap();
                    match write(&mut s, p.clone()) {
                        Ok(stored) => {
                            prop_assert!(!stale);
                            let after = read(&s, 3);
                            prop_assert_eq!(&after, &stored);
                            let mut want: Vec<String> = p.bindings.last().unwrap().members.clone();
                            want.sort();
                            want.dedup();
                            let got = &after.bindings.iter().find(|b| b.role == "roles/storage.objectViewer").unwrap().members;
                            prop_assert_eq!(got, &want);
                            prop_assert!(seen.insert(stored.etag.clone().unwrap()), "an etag repeated");
                        }
                        Err(StoreError::Aborted { .. }) => {
                            prop_assert!(stale);
                            prop_assert_eq!(&read(&s, 3), &current);
                        }
                        Err(e) => prop_assert!(false, "unexpected {:?}", e),
                    }
                    previous_etag = current.etag.clone().unwrap();
                }
            }

            /// Whatever the bindings, a write merges to one binding per (role, condition) with
            /// distinct, sorted members, and writing the result again changes nothing but the etag.
            #[test]
            fn merging_is_idempotent(groups in prop::collection::vec((0u8..3, prop::collection::vec(0u8..5, 1..4)), 1..8)) {
                let mut s = store();
                let mut p = read(&s, 3);
                for (role, members) in &groups {
                    p.bindings.push(Binding {
                        // Roles Google defines: a made-up one is refused (Role … is not supported).
                        role: ["roles/logging.admin", "roles/logging.logWriter", "roles/logging.bucketWriter"][usize::from(*role)].to_string(),
                        members: members.iter().map(|m| format!("user:u{m}@example.com")).collect(),
                        ..Binding::default()
                    });
                }
                let once = write(&mut s, p).unwrap();
                for b in &once.bindings {
                    let mut sorted = b.members.clone();
                    sorted.sort();
                    sorted.dedup();
                    prop_assert_eq!(&sorted, &b.members);
                }
                let keys: Vec<(String, Option<String>)> =
                    once.bindings.iter().map(|b| (b.role.clone(), b.condition.as_ref().map(|c| c.expression.clone()))).collect();
                let distinct: BTreeSet<_> = keys.iter().cloned().collect();
                prop_assert_eq!(keys.len(), distinct.len());
                let again = read(&s, 3);
                let twice = write(&mut s, again).unwrap();
                prop_assert_eq!(&once.bindings, &twice.bindings);
                prop_assert_ne!(once.etag, twice.etag);
            }
        }
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(1500), "1,500");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    // ---- issue 9: the kinds below a project -------------------------------------------------------

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

    #[test]
    fn a_bucket_takes_a_condition_only_with_uniform_access_and_version_3() {
        let mut s = store();
        let cond = Binding {
            role: "roles/storage.objectViewer".into(),
            members: vec!["user:bob@example.com".into()],
            condition: Some(Expr {
                expression: "request.time < timestamp(\"2030-01-01T00:00:00Z\")".into(),
                title: Some("t".into()),
                ..Expr::default()
            }),
            ..Binding::default()
        };
        let p = |v| Policy { version: Some(v), bindings: vec![cond.clone()], ..Policy::default() };
        let legacy = s.set_policy(&alice(), Kind::Bucket, "jit-demo-prod-legacy", p(3), None, t(12));
        assert!(
            matches!(&legacy, Err(StoreError::FailedPrecondition(m)) if m.contains("enable uniform bucket-level access")),
            "{legacy:?}"
        );
        assert_eq!(
            s.stored("projects/_/buckets/jit-demo-prod-legacy").etag.as_deref(),
            Some(super::super::applies::FIRST_STORAGE_ETAG)
        );
        assert_eq!(
            s.set_policy(&alice(), Kind::Bucket, "jit-demo-prod-data", p(1), None, t(12)),
            Err(StoreError::Invalid(
                "IAM policy version must be at least 3 to set a policy with conditions.".into()
            ))
        );
        let stored = s.set_policy(&alice(), Kind::Bucket, "jit-demo-prod-data", p(3), None, t(12)).unwrap();
        assert_eq!(stored.version, Some(3));
        // A version-1 read of it shows the `_withcond_` view, as for every kind.
        let v1 = s.get_policy(&alice(), Kind::Bucket, "jit-demo-prod-data", 1, t(12)).unwrap();
        assert!(v1.bindings[0].role.starts_with("roles/storage.objectViewer_withcond_"), "{v1:?}");
    }

    #[test]
    fn convenience_values_stand_for_the_holders_of_the_projects_basic_roles() {
        let mut s = store();
        let a = "user:alice@example.com";
        // Alice holds roles/owner on jit-demo-prod's own policy, by ID or number.
        assert!(s.member_matches("projectOwner:jit-demo-prod", a));
        assert!(s.member_matches("projectOwner:100000000001", a));
        assert!(!s.member_matches("projectEditor:jit-demo-prod", a));
        assert!(!s.member_matches("projectViewer:jit-demo-prod", a));
        assert!(!s.member_matches("projectOwner:jit-demo-dev", "user:bob@example.com"));
        assert!(!s.member_matches("projectOwner:no-such-project", a));
        // Carol is a viewer through group:sre; the project's service account directly.
        assert!(s.member_matches("projectViewer:jit-demo-prod", "user:carol@example.com"));
        assert!(s.member_matches(
            "projectViewer:jit-demo-prod",
            "serviceAccount:jit-cleanup@jit-demo-prod.iam.gserviceaccount.com"
        ));
        assert!(!s.member_matches("projectOwner:jit-demo-prod", "user:carol@example.com"));
        // An owner by inheritance (a folder's policy) is not one of the project's owners.
        let dave = "user:dave@example.com";
        s.data.policies.get_mut("folders/234567890123").unwrap().bindings.push(binding("roles/owner", dave));
        assert!(s.has_permission(
            &Caller::Principal(dave.into()),
            "projects/jit-demo-prod",
            "resourcemanager.projects.setIamPolicy",
            t(12)
        ));
        assert!(!s.member_matches("projectOwner:jit-demo-prod", dave));
        // Valid in a bucket's policy, refused in any other.
        let with = |b: Binding| Policy { bindings: vec![b], ..Policy::default() };
        let owner = binding("roles/storage.objectViewer", "projectOwner:jit-demo-dev");
        assert_eq!(
            s.set_policy(&alice(), Kind::Project, "jit-demo-prod", with(owner.clone()), None, t(12)),
            Err(StoreError::Invalid(
                "The member projectOwner:jit-demo-dev is of an unknown type. Please set a valid type prefix \
                 for the member."
                    .into()
            ))
        );
        let secret = "projects/jit-demo-prod/secrets/db-password";
        assert!(matches!(
            s.set_policy(&alice(), Kind::Secret, secret, with(owner.clone()), None, t(12)),
            Err(StoreError::Invalid(m)) if m.contains("unknown type")
        ));
        let mut d = demo_seed();
        d.policies.get_mut("projects/jit-demo-dev").unwrap().bindings.push(owner.clone());
        assert_eq!(
            d.check(),
            Err("the policy of `projects/jit-demo-dev` cannot be served: The member projectOwner:jit-demo-dev is \
                 of an unknown type. Please set a valid type prefix for the member."
                .into())
        );
        let stored = s.set_policy(&alice(), Kind::Bucket, "jit-demo-prod-legacy", with(owner), None, t(12));
        assert_eq!(stored.unwrap().bindings[0].members, ["projectOwner:jit-demo-dev"]);
    }

    #[test]
    fn a_project_viewer_reads_a_bucket_but_neither_reads_nor_sets_its_policy_through_the_legacy_roles() {
        let mut s = store();
        let key = "projects/_/buckets/jit-demo-prod-legacy";
        // The seed gives this bucket no policy: it has the one Google gives a new bucket.
        assert!(!demo_seed().policies.contains_key(key));
        assert_eq!(s.stored(key), default_bucket_policy("jit-demo-prod"));
        assert_eq!(
            s.stored(key).bindings.iter().map(|b| (b.role.as_str(), b.members.join(","))).collect::<Vec<_>>(),
            [
                (
                    "roles/storage.legacyBucketOwner",
                    "projectEditor:jit-demo-prod,projectOwner:jit-demo-prod".into()
                ),
                ("roles/storage.legacyBucketReader", "projectViewer:jit-demo-prod".into()),
                (
                    "roles/storage.legacyObjectOwner",
                    "projectEditor:jit-demo-prod,projectOwner:jit-demo-prod".into()
                ),
                ("roles/storage.legacyObjectReader", "projectViewer:jit-demo-prod".into()),
            ]
        );
        // What the catalog says: of the four, only legacyBucketOwner reads or sets a bucket's policy;
        // the basic roles carry nothing of Cloud Storage's buckets or objects.
        for (role, get, get_policy, set_policy) in [
            ("roles/storage.legacyBucketOwner", true, true, true),
            ("roles/storage.legacyBucketReader", true, false, false),
            ("roles/storage.legacyObjectOwner", false, false, false),
            ("roles/storage.legacyObjectReader", false, false, false),
            ("roles/owner", false, false, false),
            ("roles/viewer", false, false, false),
        ] {
            assert_eq!(
                [
                    s.role_grants(role, "storage.buckets.get"),
                    s.role_grants(role, "storage.buckets.getIamPolicy"),
                    s.role_grants(role, "storage.buckets.setIamPolicy"),
                ],
                [get, get_policy, set_policy],
                "{role}"
            );
        }
        let carol = Caller::Principal("user:carol@example.com".into());
        let can = |s: &Store, who: &Caller, p: &str| s.has_permission(who, key, p, t(12));
        assert!(can(&s, &carol, "storage.buckets.get"));
        assert!(can(&s, &carol, "storage.objects.get"));
        assert!(!can(&s, &carol, "storage.buckets.getIamPolicy"));
        assert_eq!(
            s.get_policy(&carol, Kind::Bucket, "jit-demo-prod-legacy", 3, t(12)),
            Err(StoreError::Denied {
                permission: "storage.buckets.getIamPolicy".into(),
                resource: "jit-demo-prod-legacy".into()
            })
        );
        assert!(matches!(
            s.set_policy(&carol, Kind::Bucket, "jit-demo-prod-legacy", Policy::default(), None, t(12)),
            Err(StoreError::Denied { permission, .. }) if permission == "storage.buckets.setIamPolicy"
        ));
        // A project owner reads and sets it, and reads objects, through that policy alone (Alice
        // could anyway: roles/iam.securityAdmin on the organization carries the bucket policy
        // permissions; Dave is an owner and nothing else).
        let dave = Caller::Principal("user:dave@example.com".into());
        s.data
            .policies
            .get_mut("projects/jit-demo-prod")
            .unwrap()
            .bindings
            .push(binding("roles/owner", "user:dave@example.com"));
        let owner = ["storage.buckets.getIamPolicy", "storage.buckets.setIamPolicy", "storage.objects.get"];
        for p in owner {
            assert!(can(&s, &dave, p), "{p}");
        }
        s.data.policies.insert(key.into(), Policy::default());
        for p in owner {
            assert!(!can(&s, &dave, p), "{p}");
        }
        assert!(!can(&s, &carol, "storage.buckets.get"));
    }
}

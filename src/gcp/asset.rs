//! Cloud Asset Inventory's `searchAllIamPolicies` (issue 10): the allow policies of every resource
//! below a project, folder or organization, of the kinds jit knows, 500 a page — instead of one
//! `getIamPolicy` per resource.
//!
//! `GET https://cloudasset.googleapis.com/v1/{scope}:searchAllIamPolicies?assetTypes=…&pageSize=500`
//! (cloudasset v1 discovery document, googleapis/google-api-go-client
//! `cloudasset/v1/cloudasset-api.json`): "Page size is capped at 500 even if a larger value is
//! given", so 500 is the fewest pages; `assetTypes` limits the search to the kinds of
//! src/kinds/ (each row's `asset_type`), so no page carries a resource jit cannot edit. No
//! `query` is sent: jit reads every binding and decides itself which are time-bound, with the
//! same reader as everywhere else, rather than trust the search's word matching over condition
//! text.
//!
//! **Names.** A search result names its resource by full resource name, in Cloud Asset
//! Inventory's format (<https://cloud.google.com/asset-inventory/docs/resource-name-format>), and
//! its project by number (`project: projects/NUMBER`). jit maps each back to the [`ResourceId`]
//! every command uses:
//!
//! | result `resource` | jit's resource |
//! | --- | --- |
//! | `//cloudresourcemanager.googleapis.com/organizations/N`, `…/folders/N` | `organizations/N`, `folders/N` |
//! | `//cloudresourcemanager.googleapis.com/projects/NUMBER` | `projects/ID`: from a result below the project that names its ID, else from Resource Manager (src/gcp/project_names.rs); `projects/NUMBER` when neither can tell |
//! | `//storage.googleapis.com/B` (or `…/projects/_/buckets/B`) | `projects/_/buckets/B` |
//! | `//secretmanager.googleapis.com/projects/P/secrets/S` | `projects/ID/secrets/S` (ID as for a project) |
//! | `//iam.googleapis.com/projects/P/serviceAccounts/A` | `projects/-/serviceAccounts/A` (A an e-mail or unique ID) |
//! | `//cloudkms.googleapis.com/projects/P/locations/L/keyRings/R[/cryptoKeys/K]` | the same name |
//! | `//run.googleapis.com/projects/P/locations/L/services/S` | the same name |
//!
//! Every one of these is a name Google's `getIamPolicy` accepts (a project or a secret by number,
//! a service account by unique ID), so cleanup's fresh read and write go to the same resource the
//! search named. A result jit cannot map is an error naming it, never dropped.

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde_json::Value;

use super::client::SearchResult;
use super::{Gcp, Op, kinds};
use crate::error::Error;
use crate::iam::{ResourceId, is_number};
use crate::policy::Policy;

/// The largest page Google serves.
pub const PAGE_SIZE: &str = "500";

/// A resource the search found, with its policy as the index holds it (possibly stale: never
/// written back).
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub resource: ResourceId,
    pub policy: Policy,
}

/// What a search read.
#[derive(Debug, Default)]
pub struct Search {
    pub found: Vec<Found>,
    /// Pages read.
    pub pages: u32,
    /// Results jit could not read (a name it cannot map, a policy it cannot parse), by the
    /// result's full resource name.
    pub unreadable: Vec<(String, Error)>,
}

/// A search that stopped at a page: what was read before it, and why. No page read (`pages ==
/// 0`) and a 403 mean the search is not available to the caller at all.
#[derive(Debug)]
pub struct Stopped {
    pub read: Search,
    pub error: Error,
}

impl Stopped {
    /// The API is disabled, or the caller lacks the permission, or may not use the quota project:
    /// nothing was read, and the walk can do the work instead.
    pub fn unavailable(&self) -> bool {
        self.read.pages == 0 && matches!(self.error, Error::PermissionDenied { .. })
    }
}

/// The asset types of every kind jit knows (src/kinds/).
pub fn asset_types() -> Vec<&'static str> {
    kinds::ROWS.iter().map(|r| r.asset_type).collect()
}

pub use super::MAX_PAGES;

/// Results held back, at most, until a later page names their project's ID (see
/// [`Gcp::search_policies_each`]); past that, the numbers they name are resolved in bulk.
const MAX_PENDING: usize = 5_000;

impl Gcp {
    /// Every allow policy in and below `scope` (a project, folder or organization) of the kinds
    /// jit knows, collected; see [`Gcp::search_policies_each`].
    pub async fn search_policies(&self, scope: &ResourceId) -> Result<Search, Stopped> {
        let mut found = Vec::new();
        let mut search = self.search_policies_each(scope, |f| found.push(f)).await;
        match &mut search {
            Ok(s) => s.found = found,
            Err(stopped) => stopped.read.found = found,
        }
        search
    }

    /// Every allow policy in and below `scope`, handed to `each` a page at a time, so that memory
    /// does not grow with the organization (issue 22 item 3): what is kept is the project IDs
    /// learnt, and at most [`MAX_PENDING`] results that name their project by number while no
    /// page has named its ID yet. Past that, and at the end, the numbers still unnamed are
    /// resolved in bulk through Resource Manager (src/gcp/project_names.rs), so that a project
    /// has one name in the whole report; one that cannot be resolved goes out under its number,
    /// a name Google accepts as well. Each page waits for its slot in the search quota (src/gcp/pace.rs) and
    /// is retried on 429 (honouring `Retry-After`), 5xx and a dropped connection within the retry
    /// budget. A page that still fails, a server that keeps sending page tokens past
    /// [`MAX_PAGES`], and a search that runs past the listing time bound stop the search: what was
    /// read has been handed over, and the error names the scope — never a silently short list.
    pub async fn search_policies_each(
        &self,
        scope: &ResourceId,
        mut each: impl FnMut(Found),
    ) -> Result<Search, Stopped> {
        let name = scope.name();
        let types = asset_types();
        let mut search = Search::default();
        let mut ids: HashMap<String, String> = HashMap::new();
        let mut pending: VecDeque<SearchResult> = VecDeque::new();
        let mut token = String::new();
        let deadline = tokio::time::Instant::now() + self.inner.listing_timeout;
        // The IDs of the numbers the first pages left unnamed, asked while later pages are read.
        let mut early: Option<Early> = None;
        loop {
            let op = Op {
                resource: &name,
                verb: "searchAllIamPolicies",
                endpoint: self.inner.clients.asset_shown(),
            };
            let fetch = self.retrying(op, || async {
                self.inner.pace.before_search().await;
                let page = self.inner.clients.search_page(scope, &types, PAGE_SIZE, &token).await;
                self.inner.pace.after_search(&page);
                page
            });
            let Ok(page) = tokio::time::timeout_at(deadline, fetch).await else {
                // The search as a whole is bounded (issue 17 item 4).
                let error = self.listing_took_too_long(&name, "searchAllIamPolicies", search.pages);
                if let Some(early) = early {
                    early.abort();
                }
                flush(&mut search, &mut pending, &ids, &mut each);
                return Err(Stopped { read: search, error });
            };
            match page {
                Ok(page) => {
                    search.pages += 1;
                    self.log(&format!(
                        "{name}: searchAllIamPolicies page {} ({} results)",
                        search.pages,
                        page.results.len()
                    ));
                    ids.extend(project_ids(&page.results));
                    for r in page.results {
                        if needs_id(&r.resource, &ids) {
                            pending.push_back(r);
                        } else {
                            read_result(&mut search, &r, &ids, &mut each);
                        }
                    }
                    if pending.len() > MAX_PENDING {
                        self.resolve_pending(&pending, &mut ids, early.take()).await;
                        flush(&mut search, &mut pending, &ids, &mut each);
                    }
                    if page.next_page_token.is_empty() {
                        break;
                    }
                    // More pages to come: their latency hides Resource Manager's. A resolution
                    // that is done hands over its IDs (and the results they name go out), and
                    // the next starts for the numbers still unnamed.
                    if let Some(done) = early.take_if(|e| e.is_finished())
                        && let Ok(found) = done.await
                    {
                        ids.extend(found);
                        let (named, unnamed): (VecDeque<_>, VecDeque<_>) =
                            pending.drain(..).partition(|r| !needs_id(&r.resource, &ids));
                        pending = unnamed;
                        for r in named {
                            read_result(&mut search, &r, &ids, &mut each);
                        }
                    }
                    if early.is_none() && !unnamed(&pending, &ids).is_empty() {
                        early = Some(self.resolve_early(&pending, &ids));
                    }
                    let looping = if page.next_page_token == token {
                        // A server that hands back the token it was given would page forever.
                        Some(format!(
                            "searchAllIamPolicies answered page {} with the token it was sent; stopped",
                            search.pages
                        ))
                    } else if search.pages >= MAX_PAGES {
                        Some(format!(
                            "searchAllIamPolicies kept sending page tokens past {MAX_PAGES} pages; stopped"
                        ))
                    } else {
                        None
                    };
                    if let Some(message) = looping {
                        let error = Error::Api {
                            resource: name.clone(),
                            status: None,
                            message: format!("{message} (what they held is shown)"),
                        };
                        self.resolve_pending(&pending, &mut ids, early.take()).await;
                        flush(&mut search, &mut pending, &ids, &mut each);
                        return Err(Stopped { read: search, error });
                    }
                    token = page.next_page_token;
                }
                Err(error) => {
                    let error =
                        if search.pages > 0 { after_pages(error, &name, search.pages) } else { error };
                    self.resolve_pending(&pending, &mut ids, early.take()).await;
                    flush(&mut search, &mut pending, &ids, &mut each);
                    return Err(Stopped { read: search, error });
                }
            }
        }
        self.resolve_pending(&pending, &mut ids, early.take()).await;
        flush(&mut search, &mut pending, &ids, &mut each);
        Ok(search)
    }

    /// The IDs of the project numbers `pending` names that no page named, in bulk
    /// (src/gcp/project_names.rs), into `ids`: what `early` asked first, then the rest.
    async fn resolve_pending(
        &self,
        pending: &VecDeque<SearchResult>,
        ids: &mut HashMap<String, String>,
        early: Option<Early>,
    ) {
        if let Some(early) = early
            && let Ok(found) = early.await
        {
            ids.extend(found);
        }
        let numbers = unnamed(pending, ids);
        if !numbers.is_empty() {
            ids.extend(self.project_ids(&numbers).await);
        }
    }

    /// Starts resolving the numbers `pending` names, in a task of its own, while the search
    /// goes on; [`Gcp::resolve_pending`] takes its answer.
    fn resolve_early(&self, pending: &VecDeque<SearchResult>, ids: &HashMap<String, String>) -> Early {
        let numbers = unnamed(pending, ids);
        let gcp = self.clone();
        tokio::spawn(async move { gcp.project_ids(&numbers).await })
    }
}

/// A resolution started early ([`Gcp::resolve_early`]).
type Early = tokio::task::JoinHandle<HashMap<String, String>>;

/// The project numbers `pending` names that `ids` has no ID for.
fn unnamed(pending: &VecDeque<SearchResult>, ids: &HashMap<String, String>) -> BTreeSet<String> {
    pending.iter().filter_map(|r| number_without_id(&r.resource, ids)).map(str::to_string).collect()
}

/// Whether a result names its project by a number whose ID no page has named yet (a project, or
/// a secret below one): it is worth holding back for a page that does.
fn needs_id(full: &str, ids: &HashMap<String, String>) -> bool {
    number_without_id(full, ids).is_some()
}

/// The project number a result names its project by, when `ids` has no ID for it.
fn number_without_id<'a>(full: &'a str, ids: &HashMap<String, String>) -> Option<&'a str> {
    ["//cloudresourcemanager.googleapis.com/projects/", "//secretmanager.googleapis.com/projects/"]
        .iter()
        .filter_map(|prefix| full.strip_prefix(prefix))
        .filter_map(|rest| rest.split('/').next())
        .find(|p| is_number(p) && !ids.contains_key(*p))
}

/// Hands on every result held back, under the IDs learnt by now.
fn flush(
    search: &mut Search,
    pending: &mut VecDeque<SearchResult>,
    ids: &HashMap<String, String>,
    each: &mut impl FnMut(Found),
) {
    for r in pending.drain(..) {
        read_result(search, &r, ids, each);
    }
}

/// Maps one result and hands it on, or records why it cannot be read.
fn read_result(
    search: &mut Search,
    r: &SearchResult,
    ids: &HashMap<String, String>,
    each: &mut impl FnMut(Found),
) {
    let mapped = resource_of(&r.resource, ids)
        .and_then(|resource| policy_of(&r.resource, &r.policy).map(|policy| Found { resource, policy }));
    match mapped {
        Ok(found) => each(found),
        Err(e) => search.unreadable.push((r.resource.clone(), e)),
    }
}

/// A page that failed after others were read: the same error (its exit code and retry class
/// kept), its message saying how far the search got.
fn after_pages(error: Error, scope: &str, pages: u32) -> Error {
    let note = format!(" (the search of `{scope}` stopped after {pages} page(s); what they held is shown)");
    match error {
        Error::Unavailable { resource, status, message, retry_after } => {
            Error::Unavailable { resource, status, message: message + &note, retry_after }
        }
        Error::Network { resource, message } => Error::Network { resource, message: message + &note },
        Error::PermissionDenied { resource, message, permission } => {
            Error::PermissionDenied { resource, message: message + &note, permission }
        }
        Error::Api { resource, status, message } => Error::Api { resource, status, message: message + &note },
        other => other,
    }
}

/// Project number → ID, from results whose resource names the project by ID (a KMS key ring, a
/// Run service, a service account) and whose `project` gives its number.
pub(crate) fn project_ids(raw: &[SearchResult]) -> HashMap<String, String> {
    let mut ids = HashMap::new();
    for r in raw {
        let Some(number) = r.project.strip_prefix("projects/") else { continue };
        let Some((_, name)) = r.resource.strip_prefix("//").and_then(|s| s.split_once('/')) else { continue };
        if let Some(id) = name.strip_prefix("projects/").and_then(|s| s.split('/').next())
            && !is_number(id)
            && id != "_"
            && id != "-"
            && ResourceId::project_ok(id)
        {
            ids.insert(number.to_string(), id.to_string());
        }
    }
    ids
}

/// A result's full resource name as jit's resource (see the module's table).
pub fn resource_of(full: &str, ids: &HashMap<String, String>) -> Result<ResourceId, Error> {
    // Cloud Asset names a bucket `//storage.googleapis.com/B`; IAM's full names (and jit's
    // `--resource`) `//storage.googleapis.com/projects/_/buckets/B` (each kind's `asset_name`).
    let short = full.strip_prefix("//").and_then(|r| r.split_once('/')).and_then(|(host, id)| {
        let row =
            kinds::ROWS.iter().find(|row| row.host == host && row.asset_name == kinds::AssetName::Short)?;
        (!id.contains('/')).then(|| format!("//{host}/{}", (row.name)(id)))
    });
    let r = ResourceId::full_name(short.as_deref().unwrap_or(full))?;
    let row = kinds::row(r.kind);
    if row.asset_name != kinds::AssetName::ProjectNumber {
        return Ok(r);
    }
    // `projects/NUMBER[/…]`: the ID in its place when another result named it.
    let name = r.name();
    let Some(rest) = name.strip_prefix("projects/") else { return Ok(r) };
    let (number, tail) = rest.split_once('/').map_or((rest, None), |(n, t)| (n, Some(t)));
    let Some(id) = ids.get(number) else { return Ok(r) };
    let by_id = match tail {
        Some(tail) => format!("projects/{id}/{tail}"),
        None => format!("projects/{id}"),
    };
    (row.from_full_name)(&by_id).unwrap_or(Ok(r))
}

/// A result's policy: bindings (and audit configs) without etag or version, which jit reads like
/// any policy; a search result is never written back.
fn policy_of(full: &str, v: &Value) -> Result<Policy, Error> {
    Policy::from_json(&v.to_string()).map_err(|e| Error::Api {
        resource: full.to_string(),
        status: None,
        message: format!("the search's policy of `{full}` is not a policy: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(resource: &str, project: &str) -> SearchResult {
        SearchResult {
            resource: resource.into(),
            asset_type: String::new(),
            project: project.into(),
            policy: json!({}),
        }
    }

    #[test]
    fn every_kind_is_searched_by_its_asset_type() {
        assert_eq!(
            asset_types(),
            [
                "cloudresourcemanager.googleapis.com/Project",
                "cloudresourcemanager.googleapis.com/Folder",
                "cloudresourcemanager.googleapis.com/Organization",
                "storage.googleapis.com/Bucket",
                "secretmanager.googleapis.com/Secret",
                "iam.googleapis.com/ServiceAccount",
                "cloudkms.googleapis.com/KeyRing",
                "cloudkms.googleapis.com/CryptoKey",
                "run.googleapis.com/Service",
            ]
        );
    }

    #[test]
    fn full_names_map_to_names_a_person_can_use() {
        let raw = [
            result("//cloudresourcemanager.googleapis.com/projects/100000000001", "projects/100000000001"),
            result(
                "//cloudkms.googleapis.com/projects/jit-demo-prod/locations/global/keyRings/app",
                "projects/100000000001",
            ),
            result("//cloudresourcemanager.googleapis.com/projects/100000000002", "projects/100000000002"),
        ];
        let ids = project_ids(&raw);
        assert_eq!(ids, HashMap::from([("100000000001".to_string(), "jit-demo-prod".to_string())]));
        let name = |full: &str| resource_of(full, &ids).map(|r| r.name()).unwrap();
        assert_eq!(
            name("//cloudresourcemanager.googleapis.com/projects/100000000001"),
            "projects/jit-demo-prod"
        );
        assert_eq!(
            name("//cloudresourcemanager.googleapis.com/projects/100000000002"),
            "projects/100000000002"
        );
        assert_eq!(
            name("//cloudresourcemanager.googleapis.com/folders/234567890123"),
            "folders/234567890123"
        );
        assert_eq!(
            name("//storage.googleapis.com/jit-demo-prod-data"),
            "projects/_/buckets/jit-demo-prod-data"
        );
        assert_eq!(
            name("//storage.googleapis.com/projects/_/buckets/jit-demo-prod-data"),
            "projects/_/buckets/jit-demo-prod-data"
        );
        assert_eq!(
            name("//secretmanager.googleapis.com/projects/100000000001/secrets/db-password"),
            "projects/jit-demo-prod/secrets/db-password"
        );
        assert_eq!(
            name("//iam.googleapis.com/projects/jit-demo-prod/serviceAccounts/104635123456789012345"),
            "projects/-/serviceAccounts/104635123456789012345"
        );
        assert_eq!(
            name("//run.googleapis.com/projects/jit-demo-prod/locations/europe-west1/services/api"),
            "projects/jit-demo-prod/locations/europe-west1/services/api"
        );
        let e = resource_of("//compute.googleapis.com/projects/p/zones/z/instances/i", &ids).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`//compute.googleapis.com/projects/p/zones/z/instances/i` is not a full resource name jit knows"
        );
    }

    #[test]
    fn a_page_that_fails_after_others_says_how_far_the_search_got() {
        let e = after_pages(
            Error::Unavailable {
                resource: "organizations/1".into(),
                status: 503,
                message: "The service is currently unavailable.".into(),
                retry_after: None,
            },
            "organizations/1",
            3,
        );
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.to_string().ends_with(
                "The service is currently unavailable. (the search of `organizations/1` stopped after 3 page(s); what \
                 they held is shown)"
            ),
            "{e}"
        );
    }
}

//! One name per project (issue 19 item 6): Google names a project by number in some answers
//! (Cloud Asset's search, a secret's name) and by ID in others (the walk, a key ring's name);
//! reports show the ID. Numbers are resolved here, once per run for each number, whoever asks:
//!
//! - a few numbers (at most [`FEW`]) with one Resource Manager v3 `projects.get` each, at the
//!   same time;
//! - more with `projects.search`, every project the caller may see, page by page, until every
//!   number asked for is found (what a page names is kept for later questions).
//!
//! A number that cannot be resolved (no permission, no such project, an error past the retry
//! budget) stays a number, a name Google accepts everywhere jit uses it: the lookup never fails
//! a command, and `--verbose` says why.

use std::collections::{BTreeSet, HashMap};

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use super::calls::MAX_PAGES;
use super::connection::Gcp;
use super::project_cache::{Known, Progress};
use crate::iam::{Kind, ResourceId, is_number};

/// Up to this many numbers are resolved with one `projects.get` each; more with
/// `projects.search`.
pub const FEW: usize = 8;

impl Gcp {
    /// The IDs of the project `numbers` this run can learn (see the module's notes); numbers
    /// that cannot be resolved are left out.
    pub async fn project_ids(&self, numbers: &BTreeSet<String>) -> HashMap<String, String> {
        let mut known = self.inner.project_names.known.lock().await;
        let wanted: Vec<String> = numbers
            .iter()
            .filter(|n| is_number(n) && !known.ids.contains_key(*n) && !known.unresolved.contains(*n))
            .cloned()
            .collect();
        if !wanted.is_empty() {
            if wanted.len() <= FEW {
                self.get_each(&wanted, &mut known).await;
            } else {
                self.search_for(&wanted, &mut known).await;
            }
            for n in wanted {
                if !known.ids.contains_key(&n) {
                    known.unresolved.insert(n);
                }
            }
        }
        numbers.iter().filter_map(|n| known.ids.get(n).map(|id| (n.clone(), id.clone()))).collect()
    }

    async fn get_each(&self, wanted: &[String], known: &mut Known) {
        let clients = &self.inner.clients;
        let mut gets: FuturesUnordered<_> = wanted
            .iter()
            .map(|n| async move {
                let name = format!("projects/{n}");
                let id = self.retrying(self.op(&name, "projects.get"), || clients.project_id_of(n)).await;
                (n, id)
            })
            .collect();
        while let Some((n, id)) = gets.next().await {
            match id {
                Ok(Some(id)) => {
                    self.log(&format!("projects/{n}: its ID is `{id}` (projects.get)"));
                    known.ids.insert(n.clone(), id);
                }
                Ok(None) => self.log(&format!("projects/{n}: projects.get named no ID; shown by number")),
                Err(e) => self.log(&format!("projects/{n}: projects.get failed ({e}); shown by number")),
            }
        }
    }

    async fn search_for(&self, wanted: &[String], known: &mut Known) {
        let clients = &self.inner.clients;
        let mut pages = 0u32;
        let missing = |known: &Known| wanted.iter().filter(|n| !known.ids.contains_key(*n)).count();
        while missing(known) > 0 && pages < MAX_PAGES {
            let token = match &known.search {
                None => String::new(),
                Some(Progress::Next(token)) => token.clone(),
                Some(Progress::Done) => break,
            };
            let page = self
                .retrying(self.op("projects", "projects.search"), || clients.search_projects_page(&token))
                .await;
            pages += 1;
            match page {
                Ok((projects, next)) => {
                    known.ids.extend(projects);
                    known.search = Some(if next.is_empty() || next == token {
                        Progress::Done
                    } else {
                        Progress::Next(next)
                    });
                }
                Err(e) => {
                    self.log(&format!(
                        "projects.search failed ({e}); projects it did not name are shown by number"
                    ));
                    known.search = Some(Progress::Done);
                }
            }
        }
        self.log(&format!(
            "project numbers: {} of {} named by ID after {pages} page(s) of projects.search",
            wanted.len() - missing(known),
            wanted.len()
        ));
    }
}

/// The project number `r` is named under (`projects/NUMBER[/…]`), if any.
pub fn project_number(r: &ResourceId) -> Option<&str> {
    let number = match r.id.strip_prefix("projects/") {
        Some(rest) => rest.split('/').next()?,
        None if r.kind == Kind::Project => r.id.as_str(),
        None => return None,
    };
    is_number(number).then_some(number)
}

/// `r` with its project number replaced by the ID `ids` has for it; else `r` as it is.
pub fn with_project_ids(r: &ResourceId, ids: &HashMap<String, String>) -> ResourceId {
    let Some(number) = project_number(r) else { return r.clone() };
    let Some(id) = ids.get(number) else { return r.clone() };
    let name = r.name();
    let Some(tail) = name.strip_prefix("projects/").and_then(|rest| rest.strip_prefix(number)) else {
        return r.clone();
    };
    let by_id = format!("projects/{id}{tail}");
    (super::kinds::row(r.kind).from_full_name)(&by_id).and_then(Result::ok).unwrap_or_else(|| r.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> HashMap<String, String> {
        HashMap::from([("100000000001".to_string(), "jit-demo-prod".to_string())])
    }

    #[test]
    fn a_project_or_a_resource_named_under_its_number_takes_the_id() {
        let cases = [
            // (given, shown)
            ("//cloudresourcemanager.googleapis.com/projects/100000000001", "projects/jit-demo-prod"),
            (
                "//secretmanager.googleapis.com/projects/100000000001/secrets/db-password",
                "projects/jit-demo-prod/secrets/db-password",
            ),
            (
                "//cloudkms.googleapis.com/projects/100000000001/locations/global/keyRings/app",
                "projects/jit-demo-prod/locations/global/keyRings/app",
            ),
            (
                "//run.googleapis.com/projects/100000000001/locations/europe-west1/services/api",
                "projects/jit-demo-prod/locations/europe-west1/services/api",
            ),
            // A number no answer resolved, an ID, a bucket, a service account by unique ID: as they are.
            ("//cloudresourcemanager.googleapis.com/projects/100000000002", "projects/100000000002"),
            ("//cloudresourcemanager.googleapis.com/projects/jit-demo-dev", "projects/jit-demo-dev"),
            ("//storage.googleapis.com/projects/_/buckets/100000000001", "projects/_/buckets/100000000001"),
            (
                "//iam.googleapis.com/projects/-/serviceAccounts/100000000001",
                "projects/-/serviceAccounts/100000000001",
            ),
            ("//cloudresourcemanager.googleapis.com/folders/100000000001", "folders/100000000001"),
        ];
        for (given, shown) in cases {
            let r = ResourceId::full_name(given).unwrap();
            assert_eq!(with_project_ids(&r, &ids()).name(), shown, "{given}");
        }
        let secret =
            ResourceId::full_name("//secretmanager.googleapis.com/projects/100000000001/secrets/s").unwrap();
        assert_eq!(project_number(&secret), Some("100000000001"));
        assert_eq!(project_number(&ResourceId::project("jit-demo-prod").unwrap()), None);
        assert_eq!(project_number(&ResourceId::organization("100000000001").unwrap()), None);
    }
}

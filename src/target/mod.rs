//! Where a command's policies live: one saved policy (a file, or stdin), or resources of any kind
//! through Google's API (or an emulator). Every command is one flow over [`Policies`] (design
//! §2): read, edit with the pure functions of `edit`, show and confirm, write, report. What differs
//! between a file and the API stays here:
//!
//! - **Reading and writing.** A resource is an etag-guarded version-3 read-modify-write through
//!   `gcp`, repeated on conflict; a file is read once and written atomically with `--in-place`,
//!   else the edited policy goes to stdout.
//! - **Who the caller is.** The API asks tokeninfo; a file has no credentials, so `--member` is
//!   required.
//! - **Where the report goes.** To stdout, unless stdout carries the edited policy: then to
//!   stderr, as a table.
//!
//! One rule for partial failure ([`settle`], in `partial.rs`): the failed resources are named, the
//! others are done, and the exit code is 4. One setting for concurrency ([`CONCURRENCY`]). The
//! connection of a run and the in-process emulator are in `session.rs`, the progress bar in
//! `progress.rs`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

pub mod file;
mod partial;
mod place;
mod progress;
mod session;

pub use partial::{one_error_per_place, print_errors, resource_errors, settle, split};
pub use place::Place;
pub use progress::Progress;
use session::Session;
pub use session::emulator_state_file;

use crate::cli::Format;
use crate::config::{self, Config};
use crate::error::Error;
use crate::gcp::project_names::{project_number, with_project_ids};
use crate::gcp::{Edit, Gcp};
use crate::iam::{Kind, Principal, ResourceId};
use crate::output;
use crate::policy::Policy;

/// How many resources are read or written at once, for every command (`cleanup --concurrency`
/// sets its own). Resource Manager allows 600 reads a minute per project; eight at a time stays
/// well inside it for the few resources a person names.
pub const CONCURRENCY: usize = 8;

/// The policies a command works on, and how to reach them.
pub struct Policies {
    places: Vec<Place>,
    backend: Backend,
}

enum Backend {
    File {
        path: String,
        in_place: bool,
        /// The policy as the edit left it, for stdout when it is not written back into the file.
        edited: Mutex<Option<Policy>>,
    },
    Api(Box<Session>),
}

impl Policies {
    /// Opens the places `config` names: the policy file, or a connection to the API (starting the
    /// in-process emulator behind `--emulator`). Nothing is read yet.
    pub async fn open(config: &Config) -> Result<Policies, Error> {
        match &config.target {
            config::Target::File { path, in_place } => Ok(Policies {
                places: vec![Place::File { label: file::resource_label(config, path) }],
                backend: Backend::File { path: path.clone(), in_place: *in_place, edited: Mutex::new(None) },
            }),
            config::Target::Api(conn) => {
                let session = Session::connect(config, conn).await?;
                // A project named by number is shown, and deduplicated, by its ID (issue 19
                // item 6); one that cannot be resolved stays a number, which Google accepts.
                let numbers = config.scopes.iter().filter_map(project_number).map(str::to_string).collect();
                let ids = session.gcp.project_ids(&numbers).await;
                let mut places: Vec<Place> = Vec::new();
                for r in &config.scopes {
                    let place = Place::Resource(with_project_ids(r, &ids));
                    if !places.contains(&place) {
                        places.push(place);
                    }
                }
                Ok(Policies { places, backend: Backend::Api(Box::new(session)) })
            }
        }
    }

    pub fn places(&self) -> &[Place] {
        &self.places
    }

    /// Whether a person at a terminal is shown the planned change and asked before it is made:
    /// only for the API (a policy file is a local copy, written back only with `--in-place`).
    pub fn asks(&self, config: &Config, yes: bool, dry_run: bool) -> bool {
        matches!(self.backend, Backend::Api(_)) && config.interactive && !yes && !dry_run
    }

    /// The caller as a principal, for the default `--member` and for "granted by"; `None` for a
    /// file (no credentials) and for credentials tokeninfo cannot name.
    pub async fn caller(&self) -> Result<Option<Principal>, Error> {
        match &self.backend {
            Backend::File { .. } => Ok(None),
            Backend::Api(session) => session.caller().await,
        }
    }

    /// `members`, or the caller when none are named. `flags` names the options that name members
    /// (`--member`, or `--member or --all-members`), for the error when neither is known.
    pub async fn members_or_caller(
        &self,
        members: &[Principal],
        flags: &str,
    ) -> Result<Vec<Principal>, Error> {
        if !members.is_empty() {
            return Ok(members.to_vec());
        }
        match &self.backend {
            Backend::File { .. } => Err(Error::usage_hint(
                format!("{flags} is required with --policy-file"),
                "offline, jit has no credentials to tell who you are",
            )),
            Backend::Api(session) => match session.caller().await? {
                Some(me) => Ok(vec![me]),
                None => Err(Error::usage_hint(
                    "cannot tell who you are from these credentials",
                    "name the principal with --member (e.g. --member user:you@example.com)",
                )),
            },
        }
    }

    /// The API connection, for calls beyond policies (`jit history`'s audit logs); `None` for a
    /// policy file.
    pub fn gcp(&self) -> Option<&Gcp> {
        match &self.backend {
            Backend::File { .. } => None,
            Backend::Api(session) => Some(&session.gcp),
        }
    }

    /// Whether Google defines `role` (`roles.get`); offline there is nobody to ask.
    pub async fn role_exists(&self, role: &str) -> Result<crate::roles::Online, Error> {
        match &self.backend {
            Backend::File { .. } => Err(Error::usage(format!(
                "role `{role}` cannot be checked with Google offline; jit's copy of Google's roles decides"
            ))),
            Backend::Api(session) => session.gcp.role_exists(role).await,
        }
    }

    /// The roles Google says are grantable on each place (`roles.queryGrantableRoles`), one list
    /// per place, for the picker (src/commands/roles.rs); offline there is nobody to ask.
    pub async fn grantable_roles(&self) -> Result<Vec<Vec<(String, String)>>, Error> {
        match &self.backend {
            Backend::File { .. } => {
                Err(Error::usage("offline, Google cannot be asked which roles are grantable"))
            }
            Backend::Api(session) => {
                futures::future::try_join_all(self.places.iter().map(|place| async move {
                    match place {
                        Place::Resource(r) => session.gcp.grantable_roles(r).await,
                        Place::File { label } => Err(Error::usage(format!(
                            "`{label}` is a policy file, not a resource of the API"
                        ))),
                    }
                }))
                .await
            }
        }
    }

    /// Reads one place's policy.
    pub async fn read(&self, place: &Place) -> Result<Policy, Error> {
        match (&self.backend, place) {
            (Backend::File { path, .. }, _) => file::read(path),
            (Backend::Api(session), Place::Resource(r)) => session.gcp.get_policy(r).await,
            (Backend::Api(_), Place::File { label }) => {
                Err(Error::usage(format!("`{label}` is a policy file, not a resource of the API")))
            }
        }
    }

    /// Every place's policy read at once, when `wanted`, for the first cycle of
    /// [`Policies::edit_each`]: read while something else (who the caller is) is asked. A file
    /// is read when it is edited, after the checks that need no policy.
    pub async fn first_reads(&self, wanted: bool) -> HashMap<Place, Result<Policy, Error>> {
        if !wanted || matches!(self.backend, Backend::File { .. }) {
            return HashMap::new();
        }
        each(&self.places, CONCURRENCY, &Progress(None), |p| async move { self.read(&p).await })
            .await
            .into_iter()
            .collect()
    }

    /// Reads every place (at most `concurrency` at once) and runs `view` on each policy.
    pub async fn read_each<T, F>(
        &self,
        concurrency: usize,
        progress: &Progress,
        view: F,
    ) -> Vec<(Place, Result<T, Error>)>
    where
        F: Fn(&str, &Policy) -> Result<T, Error>,
    {
        each(&self.places, concurrency, progress, |p| {
            let view = &view;
            async move { view(&p.name(), &self.read(&p).await?) }
        })
        .await
    }

    /// One read-modify-write per place, with a pure `edit` of (place name, policy) that returns
    /// the new policy, its report and whether anything changed; nothing is written in a dry run
    /// or when nothing changed. Through the API, the edit runs again on a fresh read after every
    /// conflict; `first` holds reads already made (a failed read is that place's result).
    pub async fn edit_each<T, F>(
        &self,
        first: HashMap<Place, Result<Policy, Error>>,
        concurrency: usize,
        progress: &Progress,
        dry_run: bool,
        edit: F,
    ) -> Vec<(Place, Result<T, Error>)>
    where
        F: Fn(&str, &Policy) -> Result<(Policy, T, bool), Error>,
    {
        let first = Mutex::new(first);
        each(&self.places, concurrency, progress, |place| {
            let edit = &edit;
            let first =
                first.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&place).transpose();
            async move {
                let name = place.name();
                match (&self.backend, &place) {
                    (Backend::File { path, in_place, edited }, _) => {
                        let policy = match first? {
                            Some(p) => p,
                            None => file::read(path)?,
                        };
                        let (new, report, changed) = edit(&name, &policy)?;
                        if dry_run {
                            return Ok(report);
                        }
                        if *in_place {
                            if changed {
                                file::write_atomically(
                                    std::path::Path::new(path),
                                    new.to_json_pretty().as_bytes(),
                                )?;
                            }
                        } else {
                            *edited.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(new);
                        }
                        Ok(report)
                    }
                    (Backend::Api(session), Place::Resource(r)) => {
                        let outcome = session
                            .gcp
                            .read_modify_write_from(r, first?, |policy| {
                                let (new, report, changed) = edit(&name, policy)?;
                                Ok(if changed && !dry_run {
                                    Edit::Write(new, report)
                                } else {
                                    Edit::Unchanged(report)
                                })
                            })
                            .await?;
                        Ok(outcome.value)
                    }
                    (Backend::Api(_), Place::File { label }) => {
                        Err(Error::usage(format!("`{label}` is a policy file, not a resource of the API")))
                    }
                }
            }
        })
        .await
    }

    /// Adds every folder and project below the folders and organizations named, for `cleanup
    /// --recursive`; returns the parents that could not be listed. A file has no hierarchy.
    pub async fn add_descendants(&mut self, concurrency: usize) -> Result<Vec<(Place, Error)>, Error> {
        let Backend::Api(session) = &self.backend else {
            return Err(Error::usage_hint(
                "--recursive reads resources through the API and cannot work on a policy file",
                "drop --policy-file and name --folder or --organization",
            ));
        };
        let roots: Vec<ResourceId> = self
            .places
            .iter()
            .filter_map(|p| match p {
                Place::Resource(r) if matches!(r.kind, Kind::Folder | Kind::Organization) => Some(r.clone()),
                _ => None,
            })
            .collect();
        if roots.is_empty() {
            return Err(Error::usage_hint(
                "--recursive needs a folder or an organization",
                "name one with --folder NUMBER or --organization NUMBER",
            ));
        }
        let mut failed = Vec::new();
        for root in &roots {
            let (found, errors) = session.gcp.descendants(root, concurrency).await;
            self.places.extend(found.into_iter().map(Place::Resource));
            failed.extend(errors.into_iter().map(|(r, e)| (Place::Resource(r), e)));
        }
        self.places.sort();
        self.places.dedup();
        Ok(failed)
    }

    /// Replaces the places (cleanup through the search: only the resources its index shows with an
    /// expired binding are read and written).
    pub fn set_places(&mut self, places: Vec<Place>) {
        self.places = places;
    }

    /// Whether every place named is a project, folder or organization (what `--recursive`
    /// searches or walks below); a usage error otherwise, and for a policy file.
    pub fn check_recursive(&self) -> Result<(), Error> {
        if matches!(self.backend, Backend::File { .. }) {
            return Err(Error::usage_hint(
                "--recursive reads resources through the API and cannot work on a policy file",
                "drop --policy-file and name --project, --folder or --organization",
            ));
        }
        for p in &self.places {
            if let Place::Resource(r) = p
                && !r.is_container()
            {
                return Err(Error::usage_hint(
                    format!("--recursive works below a project, folder or organization, not `{}`", r.name()),
                    "name --project, --folder or --organization, or drop --recursive",
                ));
            }
        }
        Ok(())
    }

    /// Searches every place named (projects, folders, organizations) through Cloud Asset
    /// Inventory (src/gcp/asset.rs): each resource found handed to `each` once, with its indexed
    /// policy, a page at a time (issue 22 item 3: nothing grows with the organization but what
    /// `each` keeps), and the scopes whose search stopped part-way (after what they held was
    /// handed over). `Err` when the search is not available to the caller (API disabled,
    /// permission missing): nothing was read and the walk should do the work.
    pub async fn search(&self, mut each: impl FnMut(Place, Policy)) -> Result<Result<Index, Error>, Error> {
        let Backend::Api(session) = &self.backend else {
            return Err(Error::usage(
                "--via asset searches through the API and cannot work on a policy file",
            ));
        };
        let mut index = Index::default();
        // Each resource is handed over once, even when it is below two of the scopes named or
        // a server names it on two pages: remembered by a 64-bit hash of its name (16 bytes or so
        // a resource, where the names themselves would cost ten times that).
        let mut seen = std::collections::HashSet::new();
        let key = |r: &ResourceId| {
            use std::hash::{BuildHasher, BuildHasherDefault};
            BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(r)
        };
        for place in &self.places {
            let Place::Resource(scope) = place else { continue };
            let searched = session
                .gcp
                .search_policies_each(scope, |f| {
                    if seen.insert(key(&f.resource)) {
                        index.examined += 1;
                        each(Place::Resource(f.resource), f.policy);
                    }
                })
                .await;
            let (read, error) = match searched {
                Ok(read) => (read, None),
                Err(stopped) if stopped.unavailable() => return Ok(Err(stopped.error)),
                Err(stopped) => (stopped.read, Some(stopped.error)),
            };
            index.pages += read.pages;
            for (full, e) in read.unreadable {
                index.errors.push((Place::File { label: full }, e));
            }
            if let Some(e) = error {
                index.errors.push((place.clone(), e));
            }
        }
        Ok(Ok(index))
    }

    /// The search's index for `--recursive --via asset`, each resource handed to `each` as its
    /// page arrives; `None` for `--via walk`, and when the search is not available to the caller, which is said in one line on stderr (issue 10 item
    /// 3) before the caller walks instead.
    pub async fn index(
        &self,
        config: &Config,
        via: crate::cli::Via,
        each: impl FnMut(Place, Policy),
    ) -> Result<Option<Index>, Error> {
        if via == crate::cli::Via::Walk {
            return Ok(None);
        }
        match self.search(each).await? {
            Ok(index) => Ok(Some(index)),
            Err(e) => {
                if !config.quiet {
                    eprintln!("note: {}", output::escape(&fallback_note(&e)));
                }
                Ok(None)
            }
        }
    }

    /// Reports the outcome. When stdout carries the edited policy (a file edited without
    /// `--in-place` or `--dry-run`), the policy goes there first and the report goes to stderr as
    /// a table; otherwise the report goes to stdout in the chosen format, with the dry-run note.
    /// `nothing` is the one line a table prints instead of an empty report (issue 12 item 8: one
    /// answer, not two), on stderr.
    pub fn report(
        &self,
        config: &Config,
        dry_run: bool,
        nothing: Option<&str>,
        render: impl FnOnce(&mut dyn std::io::Write, Format) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let policy_out = match &self.backend {
            Backend::File { in_place: false, edited, .. } if !dry_run => {
                edited.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
            }
            _ => None,
        };
        if let Some(policy) = &policy_out {
            file::write_stdout(policy)?;
        }
        // With the policy on stdout, the report is a table on stderr whatever the format.
        if let Some(line) = nothing
            && (policy_out.is_some() || config.format == Format::Table)
        {
            // Under --quiet only when a table was asked for by name (issue 19 item 3): the one
            // line that answers it.
            if !config.quiet || config.format_given {
                eprintln!("{line}");
            }
            return Ok(());
        }
        if policy_out.is_some() {
            return crate::present::to_stderr(config, |w| render(w, Format::Table));
        }
        crate::present::to_stdout(config, |w| {
            render(w, config.format)?;
            output::dry_run_note(dry_run, config.format, w)
        })
    }
}

/// What the search of `--recursive` read: how many resources were handed over (each once, with
/// its indexed policy, possibly stale), the scopes (or results) that failed, and the pages read.
#[derive(Debug, Default)]
pub struct Index {
    pub examined: usize,
    pub errors: Vec<(Place, Error)>,
    pub pages: u32,
}

/// The one line that says the search is not available and the walk takes over (issue 10 item 3):
/// what Google said, the permission and role the search needs, and the API.
pub fn fallback_note(e: &Error) -> String {
    format!(
        "Cloud Asset Inventory's search is not available ({e}); it needs `cloudasset.assets.searchAllIamPolicies` \
         on the scope (roles/cloudasset.viewer) and the Cloud Asset API (cloudasset.googleapis.com) enabled in the \
         quota project; walking the hierarchy instead"
    )
}

/// Runs a command's flow. One thread: every command is network-bound (even a recursive cleanup
/// only waits on sockets), so worker threads would cost start-up time and cross-thread hand-offs
/// on every response.
pub fn block_on<T>(flow: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io(format!("cannot start the async runtime: {e}")))?
        .block_on(flow)
}

/// Runs `work` on every place with at most `concurrency` at once; results in place order.
async fn each<T, F, Fut>(
    places: &[Place],
    concurrency: usize,
    progress: &Progress,
    work: F,
) -> Vec<(Place, Result<T, Error>)>
where
    F: Fn(Place) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut queue = places.iter().cloned().enumerate();
    let mut running = FuturesUnordered::new();
    let mut out: Vec<Option<(Place, Result<T, Error>)>> = places.iter().map(|_| None).collect();
    loop {
        while running.len() < concurrency.max(1) {
            let Some((i, p)) = queue.next() else { break };
            let fut = work(p.clone());
            running.push(async move { (i, p, fut.await) });
        }
        match running.next().await {
            Some((i, p, result)) => {
                progress.tick();
                out[i] = Some((p, result));
            }
            None => break,
        }
    }
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit;

    fn place(n: &str) -> Place {
        Place::File { label: n.to_string() }
    }
    #[test]
    fn one_rule_for_partial_failure() {
        let usage = || Error::usage("bad");
        assert_eq!(settle(&[], 3).unwrap(), exit::OK);
        assert_eq!(settle(&[(place("a"), usage())], 1).unwrap_err().to_string(), "bad");
        assert_eq!(settle(&[(place("a"), usage())], 2).unwrap(), exit::PARTIAL);
        assert_eq!(settle(&[(place("a"), usage()), (place("b"), usage())], 2).unwrap(), usage().exit_code());
        assert_eq!(
            settle(&[(place("a"), usage()), (place("b"), Error::io("disk"))], 2).unwrap(),
            exit::FAILED,
            "every place failed, for different reasons"
        );
    }
}

//! The commands against Google's API (or an emulator): one read-modify-write per resource through
//! `gcp`, the same pure edits as offline, one report over every resource.

use std::future::Future;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::str::FromStr;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::cli::Format;
use crate::config::{self, Config, Connection};
use crate::edit::{self, GrantReport, Members, TimedBinding};
use crate::error::{Error, exit};
use crate::gcp::{self, Edit, Gcp};
use crate::iam::{Kind, Principal, ResourceId};
use crate::output::{self, GrantOutput, RemovalOutput, ResourceError};

/// Who `--emulator` acts as: the built-in demo seed's organization admin, so that permissions are
/// checked and "granted by" is filled in as against Google.
#[cfg(feature = "emulator")]
const EMULATOR_CALLER: &str = "user:alice@example.com";

/// A connection for one run: the API client, and the in-process emulator behind `--emulator`.
pub(crate) struct Session {
    pub(crate) gcp: Gcp,
    #[cfg(feature = "emulator")]
    _emulator: Option<jit_emulator::Handle>,
    /// Held while an in-process emulator runs, so two `jit --emulator` processes take turns
    /// instead of each overwriting the other's state file.
    _lock: Option<std::fs::File>,
    /// Who the credentials belong to, asked at most once per run.
    caller: tokio::sync::OnceCell<Option<Principal>>,
}

/// Where `--emulator` keeps its state: `$XDG_STATE_HOME/jit/emulator.json`, else
/// `~/.local/state/jit/emulator.json`.
pub fn emulator_state_file() -> Result<PathBuf, Error> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("state")))
        .ok_or_else(|| {
            Error::usage("cannot place the emulator's state: neither XDG_STATE_HOME nor HOME is set")
        })?;
    Ok(base.join("jit").join("emulator.json"))
}

impl Session {
    pub(crate) async fn connect(config: &Config, conn: &Connection) -> Result<Session, Error> {
        #[cfg_attr(not(feature = "emulator"), allow(unused_mut))]
        let mut opts = gcp::Options {
            endpoint: conn.endpoint.clone(),
            access_token_file: conn.access_token_file.clone(),
            access_token: None,
            impersonate: conn.impersonate.clone(),
            anonymous: false,
            verbose: config.verbose,
            retry: gcp::RetryBudget {
                max_attempts: conn.retry_attempts,
                max_elapsed: conn.retry_timeout.to_std().unwrap_or(gcp::retry::DEFAULT_TIMEOUT),
                ..Default::default()
            },
        };
        #[cfg_attr(not(feature = "emulator"), allow(unused_mut))]
        let mut lock = None;
        #[cfg(feature = "emulator")]
        let mut handle = None;
        if conn.emulator {
            #[cfg(not(feature = "emulator"))]
            return Err(crate::commands::emulator::not_built());
            #[cfg(feature = "emulator")]
            {
                let state = emulator_state_file()?;
                if let Some(dir) = state.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| Error::io(format!("cannot create `{}`: {e}", dir.display())))?;
                }
                let lock_path = state.with_file_name("emulator.lock");
                let file = std::fs::File::create(&lock_path)
                    .and_then(|f| f.lock().map(|()| f))
                    .map_err(|e| Error::io(format!("cannot lock `{}`: {e}", lock_path.display())))?;
                lock = Some(file);
                let h = jit_emulator::start(jit_emulator::Options {
                    port: 0,
                    state: Some(state.clone()),
                    ..Default::default()
                })
                .await
                .map_err(crate::commands::emulator::from_emulator)?;
                // The token comes from the emulator's API, in memory: no token file is written.
                let token =
                    h.mint_token(EMULATOR_CALLER).map_err(crate::commands::emulator::from_emulator)?;
                if config.verbose {
                    eprintln!(
                        "in-process emulator at {} with its state in {}",
                        output::escape(&h.url),
                        output::escape(&state.display().to_string())
                    );
                }
                opts.endpoint = Some(h.url.clone());
                opts.access_token = Some(gcp::auth::AccessToken::new(token));
                opts.access_token_file = None;
                opts.impersonate = None;
                handle = Some(h);
            }
        }
        let gcp = Gcp::new(opts).await?;
        Ok(Session {
            gcp,
            #[cfg(feature = "emulator")]
            _emulator: handle,
            _lock: lock,
            caller: tokio::sync::OnceCell::new(),
        })
    }

    /// The caller as a principal, for the default `--member` and for "granted by".
    async fn caller(&self) -> Result<Option<Principal>, Error> {
        let found = self
            .caller
            .get_or_try_init(|| async {
                Ok::<_, Error>(self.gcp.caller_principal().await?.and_then(|p| Principal::from_str(&p).ok()))
            })
            .await?;
        Ok(found.clone())
    }

    async fn members_or_caller(&self, members: &[Principal]) -> Result<Vec<Principal>, Error> {
        if !members.is_empty() {
            return Ok(members.to_vec());
        }
        match self.caller().await? {
            Some(me) => Ok(vec![me]),
            None => Err(Error::usage_hint(
                "cannot tell who you are from these credentials",
                "name the principal with --member (e.g. --member user:you@example.com)",
            )),
        }
    }
}

/// One thread: every command is network-bound (even a recursive cleanup only waits on sockets), so
/// worker threads would cost start-up time and cross-thread hand-offs on every response.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io(format!("cannot start the async runtime: {e}")))
}

/// Runs `work` on every resource with at most `concurrency` at once; results in resource order.
async fn each<T, F, Fut>(
    resources: &[ResourceId],
    concurrency: usize,
    progress: &Progress,
    work: F,
) -> Vec<(ResourceId, Result<T, Error>)>
where
    F: Fn(ResourceId) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut queue = resources.iter().cloned().enumerate();
    let mut running = FuturesUnordered::new();
    let mut out: Vec<Option<(ResourceId, Result<T, Error>)>> = resources.iter().map(|_| None).collect();
    loop {
        while running.len() < concurrency.max(1) {
            let Some((i, r)) = queue.next() else { break };
            let fut = work(r.clone());
            running.push(async move { (i, r, fut.await) });
        }
        match running.next().await {
            Some((i, r, result)) => {
                progress.tick(&r);
                out[i] = Some((r, result));
            }
            None => break,
        }
    }
    out.into_iter().flatten().collect()
}

/// One read-modify-write per resource with a pure `edit` of (resource name, policy) that returns
/// the new policy, its report and whether anything changed; nothing is written in a dry run or
/// when nothing changed. The edit runs again on a fresh read after every conflict.
async fn edit_each<T, F>(
    session: &Session,
    resources: &[ResourceId],
    concurrency: usize,
    progress: &Progress,
    dry_run: bool,
    edit: F,
) -> Vec<(ResourceId, Result<T, Error>)>
where
    F: Fn(&str, &crate::policy::Policy) -> Result<(crate::policy::Policy, T, bool), Error>,
{
    edit_each_from(session, resources, Default::default(), concurrency, progress, dry_run, edit).await
}

/// The policies of `resources`, read at once (at most 8 at a time) when `wanted`, for the first
/// cycle of [`edit_each_from`]: read while something else (who the caller is) is asked.
async fn first_reads(
    session: &Session,
    resources: &[ResourceId],
    wanted: bool,
) -> std::collections::HashMap<ResourceId, Result<crate::policy::Policy, Error>> {
    if !wanted {
        return Default::default();
    }
    each(resources, 8, &Progress(None), |r| {
        let gcp = &session.gcp;
        async move { gcp.get_policy(&r).await }
    })
    .await
    .into_iter()
    .collect()
}

/// As [`edit_each`], with some resources' first read already made (`first`): a read that
/// failed is that resource's result, a policy is the first cycle's read.
async fn edit_each_from<T, F>(
    session: &Session,
    resources: &[ResourceId],
    first: std::collections::HashMap<ResourceId, Result<crate::policy::Policy, Error>>,
    concurrency: usize,
    progress: &Progress,
    dry_run: bool,
    edit: F,
) -> Vec<(ResourceId, Result<T, Error>)>
where
    F: Fn(&str, &crate::policy::Policy) -> Result<(crate::policy::Policy, T, bool), Error>,
{
    let first = std::sync::Mutex::new(first);
    each(resources, concurrency, progress, |r| {
        let edit = &edit;
        let first = first.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&r).transpose();
        async move {
            let name = r.name();
            let outcome = session
                .gcp
                .read_modify_write_from(&r, first?, |policy| {
                    let (new, report, changed) = edit(&name, policy)?;
                    Ok(if changed && !dry_run { Edit::Write(new, report) } else { Edit::Unchanged(report) })
                })
                .await?;
            Ok(outcome.value)
        }
    })
    .await
}

/// A progress bar on a terminal (stderr), nothing otherwise.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(config: &Config, total: usize, what: &str) -> Progress {
        if config.quiet || total < 2 || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        Progress(Some(bar))
    }

    fn tick(&self, r: &ResourceId) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            // Resource names found by a recursive walk come from the API, not from jit.
            bar.set_message(output::escape(&r.name()).into_owned());
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// The exit code of a multi-resource run: the error itself when the only resource failed; when
/// every resource failed, their common exit code (1 if they differ); 4 when some failed; 0 when
/// none did.
fn settle(errors: &[(ResourceId, Error)], total: usize) -> Result<i32, Error> {
    match errors {
        [] => Ok(exit::OK),
        [(_, e)] if total == 1 => Err(e.clone()),
        [(_, first), rest @ ..] if errors.len() == total => {
            let code = first.exit_code();
            Ok(if rest.iter().all(|(_, e)| e.exit_code() == code) { code } else { exit::FAILED })
        }
        _ => Ok(exit::PARTIAL),
    }
}

fn resource_errors(errors: &[(ResourceId, Error)]) -> Vec<ResourceError> {
    errors
        .iter()
        .map(|(r, e)| ResourceError {
            resource: r.name(),
            message: match e.hint() {
                Some(h) => format!("{e} ({h})"),
                None => e.to_string(),
            },
        })
        .collect()
}

/// Asks on a terminal; answers yes when told to, in a dry run, and without a terminal (never a
/// prompt without one).
fn confirm(config: &Config, yes: bool, dry_run: bool, question: &str) -> Result<bool, Error> {
    if yes || dry_run || !config.interactive {
        return Ok(true);
    }
    dialoguer::Confirm::new()
        .with_prompt(output::escape(question))
        .default(false)
        .interact()
        .map_err(|e| Error::io(format!("cannot ask for confirmation: {e}")))
}

/// A declined confirmation is the user's answer, not a failure (issue 12 item 8): it says so on
/// stderr and jit exits 0.
fn cancelled() -> i32 {
    eprintln!("Cancelled; nothing was written.");
    exit::OK
}

fn print_report(
    config: &Config,
    render: impl FnOnce(&mut dyn std::io::Write) -> Result<(), Error>,
) -> Result<(), Error> {
    super::to_stdout(config, render)
}

/// `jit grant` against the API: one atomic read-modify-write per resource.
pub fn grant(config: &Config, conn: &Connection, g: &config::Grant) -> Result<i32, Error> {
    runtime()?.block_on(async {
        let session = Session::connect(config, conn).await?;
        let interactive_plan = config.interactive && !g.yes && !g.dry_run;
        // Who the caller is (tokeninfo, a round trip for a user's token) is asked while the
        // policies are read, not before (issue 9: a grant costs two round trips, not three). The
        // reads are only used for the first cycle; an interactive plan reads again after the
        // question.
        // The roles jit's copy does not know (and custom roles) are asked of Google at the same
        // time too (issue 13); its answers decide before anything is written.
        let (caller, first, answers) = futures::join!(
            session.caller(),
            first_reads(&session, &config.scopes, !interactive_plan),
            futures::future::join_all(g.ask_google.iter().map(|role| session.gcp.role_exists(role)))
        );
        super::grant::check_online(&g.ask_google, answers, &mut |line| {
            eprintln!("warning: {}", output::escape(line));
        })?;
        // With --member the caller only fills in "granted by": a token tokeninfo does not know (a
        // federated one) still grants; a failing or silent tokeninfo still stops the command.
        let caller = match caller {
            Err(Error::Auth { .. }) if !g.members.is_empty() => None,
            other => other?,
        };

        let members = session.members_or_caller(&g.members).await?;
        let req = g.request(&members, caller.as_ref(), config.now);
        let now = config.now;
        let progress = Progress::new(config, config.scopes.len(), "granting");

        if interactive_plan {
            // Show the planned change, ask, then do it (the edit is recomputed on a fresh read).
            let mut plan = GrantOutput { dry_run: true, ..Default::default() };
            for r in &config.scopes {
                let policy = session.gcp.get_policy(r).await?;
                let (_, report) = edit::grant(&r.name(), &policy, &req, now)?;
                merge_grant(&mut plan.report, report);
            }
            output::grant(&plan, Format::Table, now, &mut std::io::stderr())?;
            if !plan.report.changed() {
                print_report(config, |w| {
                    output::grant(&GrantOutput { dry_run: false, ..plan.clone() }, config.format, now, w)
                })?;
                return Ok(exit::OK);
            }
            if !confirm(config, g.yes, g.dry_run, "Apply this change?")? {
                return Ok(cancelled());
            }
        }

        // A write whose answer was lost is retried from a fresh read that already holds it; the
        // report is then the one of the attempt that wrote (issue 8 defect 12).
        let asked: std::sync::Mutex<std::collections::BTreeMap<String, GrantReport>> = Default::default();
        let results =
            edit_each_from(&session, &config.scopes, first, 8, &progress, g.dry_run, |name, policy| {
                let (new, report) = edit::grant(name, policy, &req, now)?;
                let changed = report.changed();
                let mut asked = asked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if changed {
                    asked.insert(name.to_string(), report.clone());
                } else if let Some(earlier) = asked.get(name).filter(|earlier| report.shows_landed(earlier)) {
                    return Ok((new, earlier.clone(), false));
                }
                Ok((new, report, changed))
            })
            .await;
        progress.finish();
        let mut out = GrantOutput { dry_run: g.dry_run, ..Default::default() };
        let mut errors = Vec::new();
        for (r, result) in results {
            match result {
                Ok(report) => merge_grant(&mut out.report, report),
                Err(e) => errors.push((r, e)),
            }
        }
        out.errors = resource_errors(&errors);
        if errors.len() < config.scopes.len() || config.scopes.len() > 1 {
            print_report(config, |w| {
                output::grant(&out, config.format, now, w)?;
                output::dry_run_note(g.dry_run, config.format, w)
            })?;
        }
        settle(&errors, config.scopes.len())
    })
}

fn merge_grant(into: &mut GrantReport, from: GrantReport) {
    into.granted.extend(from.granted);
    into.extended.extend(from.extended);
    into.unchanged.extend(from.unchanged);
    into.pruned.extend(from.pruned);
    into.warnings.extend(from.warnings);
}

/// `jit list` against the API.
pub fn list(config: &Config, conn: &Connection, l: &config::List) -> Result<i32, Error> {
    runtime()?.block_on(async {
        let session = Session::connect(config, conn).await?;
        let now = config.now;
        let progress = Progress::new(config, config.scopes.len(), "reading");
        let results = each(&config.scopes, 16, &progress, |r| {
            let session = &session;
            async move {
                let policy = session.gcp.get_policy(&r).await?;
                edit::timed_bindings(&r.name(), &policy, now)
            }
        })
        .await;
        progress.finish();
        let mut rows: Vec<TimedBinding> = Vec::new();
        let mut errors = Vec::new();
        for (r, result) in results {
            match result {
                Ok(found) => rows.extend(found),
                Err(e) => errors.push((r, e)),
            }
        }
        if errors.len() == config.scopes.len() {
            return settle(&errors, config.scopes.len());
        }
        let mut rows = l.filter(rows);
        edit::sort(&mut rows);
        print_report(config, |w| output::list(&rows, config.format, now, w))?;
        for e in resource_errors(&errors) {
            eprintln!("error: {}: {}", output::escape(&e.resource), output::escape(&e.message));
        }
        settle(&errors, config.scopes.len())
    })
}

/// `jit revoke` against the API.
pub fn revoke(config: &Config, conn: &Connection, rv: &config::Revoke) -> Result<i32, Error> {
    runtime()?.block_on(async {
        let session = Session::connect(config, conn).await?;
        let interactive_plan = config.interactive && !rv.yes && !rv.dry_run;
        // As for grant: the caller (the default --member) is asked while the policies are read.
        let (members, first) = futures::join!(
            async {
                Ok::<_, Error>(match &rv.members {
                    Members::All => Members::All,
                    Members::Only(m) => Members::Only(session.members_or_caller(m).await?),
                })
            },
            first_reads(&session, &config.scopes, !interactive_plan)
        );
        let members = members?;
        let now = config.now;
        if interactive_plan {
            let mut plan =
                RemovalOutput { dry_run: true, resources: config.scopes.len(), ..Default::default() };
            for r in &config.scopes {
                let policy = session.gcp.get_policy(r).await?;
                plan.removed.extend(edit::revoke(&r.name(), &policy, &rv.roles, &members, now)?.1);
            }
            if plan.removed.is_empty() {
                // One answer, not two: a table says it in words; JSON and YAML give the report.
                if config.format == Format::Table {
                    if !config.quiet {
                        eprintln!("Nothing to revoke.");
                    }
                } else {
                    print_report(config, |w| {
                        output::removal(&RemovalOutput { dry_run: false, ..plan.clone() }, config.format, w)
                    })?;
                }
                return Ok(exit::OK);
            }
            output::removal(&plan, Format::Table, &mut std::io::stderr())?;
            if !confirm(config, rv.yes, rv.dry_run, "Apply this change?")? {
                return Ok(cancelled());
            }
        }
        let progress = Progress::new(config, config.scopes.len(), "revoking");
        let results =
            edit_each_from(&session, &config.scopes, first, 8, &progress, rv.dry_run, |name, policy| {
                let (new, removed) = edit::revoke(name, policy, &rv.roles, &members, now)?;
                let changed = !removed.is_empty();
                Ok((new, removed, changed))
            })
            .await;
        progress.finish();
        removal_report(config, results, rv.dry_run, "Nothing to revoke.")
    })
}

fn removal_report(
    config: &Config,
    results: Vec<(ResourceId, Result<Vec<TimedBinding>, Error>)>,
    dry_run: bool,
    nothing: &str,
) -> Result<i32, Error> {
    let total = results.len();
    let mut out = RemovalOutput { dry_run, resources: total, ..Default::default() };
    let mut errors = Vec::new();
    for (r, result) in results {
        match result {
            Ok(removed) => out.removed.extend(removed),
            Err(e) => errors.push((r, e)),
        }
    }
    edit::sort(&mut out.removed);
    out.errors = resource_errors(&errors);
    if errors.len() == 1 && total == 1 {
        return settle(&errors, total);
    }
    if out.removed.is_empty() && errors.is_empty() && config.format == Format::Table {
        // One answer, not two (issue 12 item 8): "Nothing to revoke." rather than that and
        // "Removed 0 time-bound grants on 1 resource.".
        if !config.quiet {
            match total {
                1 => eprintln!("{nothing}"),
                n => eprintln!("{nothing} ({n} resources examined)"),
            }
        }
        return settle(&errors, total);
    }
    print_report(config, |w| {
        output::removal(&out, config.format, w)?;
        output::dry_run_note(dry_run, config.format, w)
    })?;
    settle(&errors, total)
}

/// `jit cleanup` against the API: every resource in the scope (and below it with --recursive),
/// with bounded concurrency; one resource's failure does not stop the others.
pub fn cleanup(config: &Config, conn: &Connection, c: &config::Cleanup) -> Result<i32, Error> {
    runtime()?.block_on(async {
        let session = Session::connect(config, conn).await?;
        let now = config.now;
        let mut resources: Vec<ResourceId> = config.scopes.clone();
        let mut walk_errors: Vec<(ResourceId, Error)> = Vec::new();
        if c.recursive {
            if !config.scopes.iter().any(|s| matches!(s.kind, Kind::Folder | Kind::Organization)) {
                return Err(Error::usage_hint(
                    "--recursive needs a folder or an organization",
                    "name one with --folder NUMBER or --organization NUMBER",
                ));
            }
            for root in config.scopes.iter().filter(|s| matches!(s.kind, Kind::Folder | Kind::Organization)) {
                let (found, failed) = session.gcp.descendants(root, c.concurrency).await;
                resources.extend(found);
                walk_errors.extend(failed);
            }
            resources.sort();
            resources.dedup();
        }
        let progress = Progress::new(config, resources.len(), "cleaning up");
        let mut results =
            edit_each(&session, &resources, c.concurrency, &progress, c.dry_run, |name, policy| {
                let (new, removed) = edit::cleanup(name, policy, now, c.grace, c.only_jit)?;
                let changed = !removed.is_empty();
                Ok((new, removed, changed))
            })
            .await;
        progress.finish();
        results.extend(walk_errors.into_iter().map(|(r, e)| (r, Err(e))));
        removal_report(config, results, c.dry_run, "Nothing to clean up.")
    })
}

//! The orchestration every command that edits or reads many resources shares, written once above
//! `target` (docs/design.md §7):
//!
//! - **edit**: plan → confirm → apply → report: [`plan_and_confirm`] (on a terminal, what would
//!   change, and the one question), [`apply`] (one read-modify-write per place, with the progress
//!   bar), [`report`] (the outcome, or one line when it is the plan just shown, every failure on
//!   stderr, and the exit code of the one rule for partial failure);
//! - **read**: read all → split → settle: [`read_all`] (every place read), [`read_below`]
//!   (`--recursive`: the search's index, or the walk), then [`Read::all_failed`] and
//!   [`Read::settle`].
//!
//! A command says only what is particular to it: its edit or view of one policy, and how its
//! plan and its report look.

use std::collections::HashMap;

use crate::cli::{Format, Via};
use crate::config::Config;
use crate::error::{Error, exit};
use crate::iam::Kind;
use crate::output::ResourceError;
use crate::policy::Policy;
use crate::target::{self, Place, Policies, Progress};

/// What a command's plan decided, once shown.
pub(crate) enum Planned<P> {
    /// The plan was shown on stderr: ask, and keep `P` to compare with the outcome.
    Ask(P),
    /// Nothing would change, and the command said so: it ends with exit 0, nothing asked.
    Nothing,
}

/// plan → confirm. Every place is read and `plan`ned (the edit of one policy, its report only);
/// `show` gets the reports in place order, shows them and says whether to ask. Then the one
/// question. `Ok(plan)` to apply (the edit is made again on a fresh read), `Err(code)` to end
/// with: nothing to do, or cancelled.
pub(crate) async fn plan_and_confirm<R, P>(
    config: &Config,
    policies: &Policies,
    plan: impl Fn(&str, &Policy) -> Result<R, Error>,
    show: impl FnOnce(Vec<R>) -> Result<Planned<P>, Error>,
) -> Result<Result<P, i32>, Error> {
    let mut reports = Vec::new();
    for place in policies.places() {
        let policy = policies.read(place).await?;
        reports.push(plan(&place.name(), &policy)?);
    }
    match show(reports)? {
        Planned::Nothing => Ok(Err(exit::OK)),
        Planned::Ask(shown) if crate::present::confirm(config, "Apply this change?")? => Ok(Ok(shown)),
        Planned::Ask(_) => Ok(Err(crate::present::cancelled())),
    }
}

/// apply: `edit` (of one place's name and policy: the new policy, its report, whether anything
/// changed) on every place, at most `concurrency` at once, each an etag-guarded read-modify-write
/// (or the file's edit), nothing written in a dry run; the progress bar says `doing`. `first`
/// holds reads already made. The results come back in place order.
pub(crate) async fn apply<R>(
    config: &Config,
    policies: &Policies,
    first: HashMap<Place, Result<Policy, Error>>,
    concurrency: usize,
    doing: &str,
    dry_run: bool,
    edit: impl Fn(&str, &Policy) -> Result<(Policy, R, bool), Error>,
) -> Vec<(Place, Result<R, Error>)> {
    let progress = Progress::new(config, policies.places().len(), doing);
    let results = policies.edit_each(first, concurrency, &progress, dry_run, edit).await;
    progress.finish();
    results
}

/// What a command makes of a run's outcome, for [`report`].
pub(crate) struct Outcome<O> {
    /// The report.
    pub out: O,
    /// The one line a table shows instead of an empty report ("Nothing to revoke.").
    pub nothing: Option<String>,
    /// The one line shown instead of the report when the outcome is the plan the terminal just
    /// showed (issue 12 item 8: the table is not shown twice); `None` when no plan was shown or
    /// the outcome differs from it.
    pub as_planned: Option<String>,
}

/// report: the outcome of [`apply`] (plus any places that failed before it). One failure per
/// place (`target::one_error_per_place`); when the only place failed its error is the answer and
/// nothing else is shown. `outcome` builds the report from the values, the failures and the
/// number of places; `render`
/// writes it in a format. Every failure then goes to stderr, one `error:` line each, and the exit
/// code is the one rule's (`target::settle`).
pub(crate) fn report<R, O>(
    config: &Config,
    policies: &Policies,
    results: Vec<(Place, Result<R, Error>)>,
    dry_run: bool,
    outcome: impl FnOnce(Vec<R>, Vec<ResourceError>, usize) -> Outcome<O>,
    render: impl Fn(&O, Format, &mut dyn std::io::Write) -> Result<(), Error>,
) -> Result<i32, Error> {
    // A place counts once, however often it failed (issue 12 item 8).
    let mut places: Vec<String> = results.iter().map(|(p, _)| p.name()).collect();
    places.sort();
    places.dedup();
    let total = places.len();
    let (values, errors) = target::split(results);
    let errors = target::one_error_per_place(errors);
    if errors.len() == 1 && total == 1 {
        return target::settle(&errors, total);
    }
    let failures = target::resource_errors(&errors);
    let Outcome { out, nothing, as_planned } = outcome(values, failures.clone(), total);
    let as_planned = as_planned.filter(|_| {
        errors.is_empty() && nothing.is_none() && config.format == Format::Table && config.stdout_is_terminal
    });
    match as_planned {
        Some(line) => {
            if !config.quiet {
                println!("{line}");
            }
        }
        None => policies.report(config, dry_run, nothing.as_deref(), |w, format| render(&out, format, w))?,
    }
    target::print_errors(&failures);
    target::settle(&errors, total)
}

/// What reading many places found: each place's value, the places that failed, and how many
/// places were examined.
pub(crate) struct Read<T> {
    pub found: Vec<T>,
    pub errors: Vec<(Place, Error)>,
    pub total: usize,
}

impl<T> Read<T> {
    /// A run's results, one per place, split into the values and the failures.
    pub fn of(results: Vec<(Place, Result<T, Error>)>) -> Read<T> {
        let total = results.len();
        let (found, errors) = target::split(results);
        Read { found, errors, total }
    }

    /// When every place failed, the answer (their error, or the exit code of the one rule):
    /// nothing is reported.
    pub fn all_failed(&self) -> Option<Result<i32, Error>> {
        (self.total > 0 && self.errors.len() == self.total).then(|| target::settle(&self.errors, self.total))
    }

    /// The end of a read: every failure on stderr, one `error:` line each, and the exit code of
    /// the one rule for partial failure.
    pub fn settle(&self) -> Result<i32, Error> {
        target::print_errors(&target::resource_errors(&self.errors));
        target::settle(&self.errors, self.total)
    }
}

/// read all: every place read (at most `concurrency` at once) and `view`ed, with the progress bar
/// saying `doing`.
pub(crate) async fn read_all<T>(
    config: &Config,
    policies: &Policies,
    concurrency: usize,
    doing: &str,
    view: impl Fn(&str, &Policy) -> Result<T, Error>,
) -> Read<T> {
    let progress = Progress::new(config, policies.places().len(), doing);
    let results = policies.read_each(concurrency, &progress, view).await;
    progress.finish();
    Read::of(results)
}

/// read all, `--recursive`: every resource below the projects, folders and organizations named.
/// Through Cloud Asset Inventory's search (`via` asset) each indexed policy is `view`ed as its page
/// arrives, and only the views are kept (issue 22 item 3); with `--via walk`, or when the search
/// is not available, every folder and project below the folders and organizations named is
/// listed and each read, at most `concurrency` at once. The scopes that could not be searched or
/// listed count as failed places.
pub(crate) async fn read_below<T>(
    config: &Config,
    policies: &mut Policies,
    via: Via,
    concurrency: usize,
    doing: &str,
    view: impl Fn(&str, &Policy) -> Result<T, Error>,
) -> Result<Read<T>, Error> {
    policies.check_recursive()?;
    let mut found = Vec::new();
    let mut unreadable = Vec::new();
    let index = policies
        .index(config, via, |place, policy| match view(&place.name(), &policy) {
            Ok(v) => found.push(v),
            Err(e) => unreadable.push((place, e)),
        })
        .await?;
    if let Some(index) = index {
        let mut errors = index.errors;
        errors.extend(unreadable);
        let total = index.examined + errors.len();
        return Ok(Read { found, errors, total });
    }
    // The walk: only folders and organizations have anything below them.
    let containers = policies
        .places()
        .iter()
        .any(|p| matches!(p, Place::Resource(r) if matches!(r.kind, Kind::Folder | Kind::Organization)));
    let walk_errors = if containers { policies.add_descendants(concurrency).await? } else { Vec::new() };
    let mut read = read_all(config, policies, concurrency, doing, view).await;
    read.total += walk_errors.len();
    read.errors.extend(walk_errors);
    Ok(read)
}

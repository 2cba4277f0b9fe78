//! The orchestration that commands share, above `target`: what was done on every place, the
//! failed places named, and the one rule for partial failure (`target::settle`).

use std::io::IsTerminal;

use crate::config::Config;
use crate::error::Error;

/// The report of `revoke` and `cleanup`: what was removed on every place, the failed places named,
/// and the exit code of the one rule for partial failure (`target::settle`).
pub(crate) fn report_removals(
    config: &Config,
    policies: &crate::target::Policies,
    results: Vec<(crate::target::Place, Result<Vec<crate::edit::TimedBinding>, Error>)>,
    dry_run: bool,
    nothing: &str,
    shown: Option<Vec<crate::edit::TimedBinding>>,
) -> Result<i32, Error> {
    use crate::target;
    // A place counts once, however often it failed (issue 12 item 8).
    let mut places: Vec<String> = results.iter().map(|(p, _)| p.name()).collect();
    places.sort();
    places.dedup();
    let total = places.len();
    let (removed, errors) = target::split(results);
    let errors = target::one_error_per_place(errors);
    if errors.len() == 1 && total == 1 {
        return target::settle(&errors, total);
    }
    let mut out = crate::output::RemovalOutput {
        dry_run,
        resources: total,
        removed: removed.into_iter().flatten().collect(),
        errors: target::resource_errors(&errors),
    };
    crate::edit::sort(&mut out.removed);
    // One answer, not two (issue 12 item 8): "Nothing to revoke." rather than that and
    // "Removed 0 time-bound grants on 1 resource.".
    let nothing = (out.removed.is_empty() && errors.is_empty()).then(|| match total {
        1 => nothing.to_string(),
        n => format!("{nothing} ({n} resources examined)"),
    });
    // After `y`, the table the terminal just showed is not shown again (issue 12 item 8): its
    // last line says it was done, unless the outcome differs from the plan.
    let key = |b: &crate::edit::TimedBinding| (b.resource.clone(), b.role.clone(), b.member.clone());
    let rows = |bs: &[crate::edit::TimedBinding]| {
        let mut keys: Vec<_> = bs.iter().map(key).collect();
        keys.sort();
        keys
    };
    let as_planned = shown.is_some_and(|plan| rows(&plan) == rows(&out.removed))
        && errors.is_empty()
        && nothing.is_none()
        && config.format == crate::cli::Format::Table
        && std::io::stdout().is_terminal();
    if as_planned {
        if !config.quiet {
            println!("{}", crate::output::removal_summary(&out));
        }
    } else {
        policies.report(config, dry_run, nothing.as_deref(), |w, format| {
            crate::output::removal(&out, format, w)
        })?;
    }
    target::print_errors(&out.errors);
    target::settle(&errors, total)
}

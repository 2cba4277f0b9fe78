//! `jit revoke`: ends time-bound grants early, one read-modify-write per place (a policy file, or
//! resources through the API).

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::cli::Format;
use crate::config::{self, Config};
use crate::edit::{self, Members, TimedBinding};
use crate::error::Error;
use crate::flow::{self, Outcome, Planned};
use crate::output::{self, RemovalOutput};
use crate::target::{self, Place, Policies};

pub fn run(config: &Config, rv: &config::Revoke) -> Result<i32, Error> {
    for role in &rv.basic {
        if !config.quiet {
            eprintln!(
                "warning: `{}` is a basic role, which Google never binds with a condition: it has no time-bound access to revoke",
                output::escape(role)
            );
        }
    }
    target::block_on(async {
        let policies = Policies::open(config).await?;
        let now = config.now;
        let asks = policies.asks(config, rv.yes, rv.dry_run);
        // As for grant: the caller (the default --member) is asked while the policies are read.
        let (members, first) = futures::join!(
            async {
                Ok::<_, Error>(match &rv.members {
                    Members::All => Members::All,
                    Members::Only(m) => {
                        Members::Only(policies.members_or_caller(m, "--member or --all-members").await?)
                    }
                })
            },
            policies.first_reads(!asks)
        );
        let members = members?;
        // The plan shown on a terminal, to show only a line when the outcome is that plan.
        let shown = if asks {
            let plan = |name: &str, policy: &crate::policy::Policy| {
                Ok(edit::revoke(name, policy, &rv.roles, &members, now)?.1)
            };
            let show = |removed: Vec<Vec<TimedBinding>>| {
                let plan = RemovalOutput {
                    dry_run: true,
                    resources: policies.places().len(),
                    removed: removed.into_iter().flatten().collect(),
                    ..Default::default()
                };
                if plan.removed.is_empty() {
                    let none = RemovalOutput { dry_run: false, ..plan };
                    policies.report(config, false, Some("Nothing to revoke."), |w, format| {
                        output::removal(&none, format, w)
                    })?;
                    return Ok(Planned::Nothing);
                }
                output::removal(&plan, Format::Table, &mut std::io::stderr())?;
                Ok(Planned::Ask(plan.removed))
            };
            match flow::plan_and_confirm(config, &policies, plan, show).await? {
                Ok(plan) => Some(plan),
                Err(code) => return Ok(code),
            }
        } else {
            None
        };
        // What still grants the roles afterwards, per place (the last attempt's, if one repeats).
        let standing: Mutex<BTreeMap<String, Vec<String>>> = Mutex::default();
        let results = flow::apply(
            config,
            &policies,
            first,
            target::CONCURRENCY,
            "revoking",
            rv.dry_run,
            |name, policy| {
                let (new, removed) = edit::revoke(name, policy, &rv.roles, &members, now)?;
                let changed = !removed.is_empty();
                standing
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(name.to_string(), edit::still_held(name, &new, &removed));
                Ok((new, removed, changed))
            },
        )
        .await;
        let done: Vec<String> = results.iter().filter(|(_, r)| r.is_ok()).map(|(p, _)| p.name()).collect();
        let code = report_removals(config, &policies, results, rv.dry_run, "Nothing to revoke.", shown);
        // The revoke did what it said (exit 0), and the access did not end (issue 17 item 6).
        if !config.quiet {
            let standing = standing.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
            for line in standing.iter().filter(|(name, _)| done.contains(name)).flat_map(|(_, lines)| lines) {
                eprintln!("warning: {}", output::escape(line));
            }
        }
        code
    })
}

/// The report of `revoke` and `cleanup` ([`flow::report`]): what was removed on every place, or
/// "Nothing to revoke." (with how many resources were examined), or after a plan confirmed on a
/// terminal, one line when the outcome is that plan.
pub(crate) fn report_removals(
    config: &Config,
    policies: &Policies,
    results: Vec<(Place, Result<Vec<TimedBinding>, Error>)>,
    dry_run: bool,
    nothing: &str,
    shown: Option<Vec<TimedBinding>>,
) -> Result<i32, Error> {
    let outcome = |removed: Vec<Vec<TimedBinding>>, errors: Vec<output::ResourceError>, total| {
        let mut out = RemovalOutput {
            dry_run,
            resources: total,
            removed: removed.into_iter().flatten().collect(),
            errors,
        };
        edit::sort(&mut out.removed);
        // One answer, not two (issue 12 item 8): "Nothing to revoke." rather than that and
        // "Removed 0 time-bound grants on 1 resource.".
        let nothing = (out.removed.is_empty() && out.errors.is_empty()).then(|| match total {
            1 => nothing.to_string(),
            n => format!("{nothing} ({n} resources examined)"),
        });
        let key = |b: &TimedBinding| (b.resource.clone(), b.role.clone(), b.member.clone());
        let rows = |bs: &[TimedBinding]| {
            let mut keys: Vec<_> = bs.iter().map(key).collect();
            keys.sort();
            keys
        };
        let as_planned =
            shown.filter(|plan| rows(plan) == rows(&out.removed)).map(|_| output::removal_summary(&out));
        Outcome { out, nothing, as_planned }
    };
    flow::report(config, policies, results, dry_run, outcome, |out, format, w| {
        output::removal(out, format, w)
    })
}

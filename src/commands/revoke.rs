//! `jit revoke`: ends time-bound grants early, one read-modify-write per place (a policy file, or
//! resources through the API).

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::cli::Format;
use crate::config::{self, Config};
use crate::edit::{self, Members};
use crate::error::{Error, exit};
use crate::output::{self, RemovalOutput};
use crate::target::{self, Policies, Progress};

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
        let mut shown = None;
        if asks {
            let mut plan =
                RemovalOutput { dry_run: true, resources: policies.places().len(), ..Default::default() };
            for place in policies.places() {
                let policy = policies.read(place).await?;
                plan.removed.extend(edit::revoke(&place.name(), &policy, &rv.roles, &members, now)?.1);
            }
            if plan.removed.is_empty() {
                let none = RemovalOutput { dry_run: false, ..plan };
                policies.report(config, false, Some("Nothing to revoke."), |w, format| {
                    output::removal(&none, format, w)
                })?;
                return Ok(exit::OK);
            }
            output::removal(&plan, Format::Table, &mut std::io::stderr())?;
            if !super::confirm(config, "Apply this change?")? {
                return Ok(super::cancelled());
            }
            shown = Some(plan.removed);
        }
        let progress = Progress::new(config, policies.places().len(), "revoking");
        // What still grants the roles afterwards, per place (the last attempt's, if one repeats).
        let standing: Mutex<BTreeMap<String, Vec<String>>> = Mutex::default();
        let results = policies
            .edit_each(first, target::CONCURRENCY, &progress, rv.dry_run, |name, policy| {
                let (new, removed) = edit::revoke(name, policy, &rv.roles, &members, now)?;
                let changed = !removed.is_empty();
                standing
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(name.to_string(), edit::still_held(name, &new, &removed));
                Ok((new, removed, changed))
            })
            .await;
        progress.finish();
        let done: Vec<String> = results.iter().filter(|(_, r)| r.is_ok()).map(|(p, _)| p.name()).collect();
        let code =
            super::report_removals(config, &policies, results, rv.dry_run, "Nothing to revoke.", shown);
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

//! `jit list`: every time-bound binding on the places named (a policy file, or resources through
//! the API), read at once; with `--recursive`, on every resource below the projects, folders and
//! organizations named, through Cloud Asset Inventory's search (or the walk); with `--at`, who
//! holds access at that instant.

use crate::cli::Format;
use crate::config::{self, Config};
use crate::edit::{self, TimedBinding};
use crate::error::Error;
use crate::flow;
use crate::output;
use crate::target::{self, Policies};

pub fn run(config: &Config, l: &config::List) -> Result<i32, Error> {
    // The instant the states are computed at: now, or `--at`.
    let at = l.at.unwrap_or(config.now);
    target::block_on(async {
        let mut policies = Policies::open(config).await?;
        let view = |name: &str, policy: &crate::policy::Policy| edit::timed_bindings(name, policy, at);
        let mut found = if l.recursive {
            // A search page at a time: only the rows are kept (issue 22 item 3).
            flow::read_below(config, &mut policies, l.via, target::CONCURRENCY, "reading", view).await?
        } else {
            flow::read_all(config, &policies, target::CONCURRENCY, "reading", view).await
        };
        if let Some(answer) = found.all_failed() {
            return answer;
        }
        let rows: Vec<TimedBinding> = std::mem::take(&mut found.found).into_iter().flatten().collect();
        // Expired bindings left out, to say so with the clock they were judged by (issue 12 item
        // 10: under an emulator whose clock is in the past, an empty list did not say why).
        let hidden =
            if l.all { 0 } else { config::List { all: true, ..l.clone() }.filter(rows.clone()).len() };
        let mut rows = l.filter(rows);
        let hidden = hidden.saturating_sub(rows.len());
        if let Some(gcp) = policies.gcp() {
            join_pam(config, gcp, &mut rows).await;
        }
        edit::sort(&mut rows);
        // An empty table names what was read (issue 12 item 10: the default project went unnamed).
        let read: Vec<String> = policies
            .places()
            .iter()
            .filter(|p| !found.errors.iter().any(|(failed, _)| failed == *p))
            .map(|p| p.name())
            .collect();
        let read = match read.as_slice() {
            [one] if l.recursive => format!("`{one}` or below it"),
            [one] => format!("`{one}`"),
            many => format!("{} resources", many.len()),
        };
        // Said on stderr, as every command's "nothing there" line (issue 19 items 3 and 14), and
        // under --quiet when a table was asked for by name.
        let nothing =
            rows.is_empty().then(|| format!("No time-bound bindings on {}.", output::escape(&read)));
        policies.report(config, false, nothing.as_deref(), |w, format| output::list(&rows, format, at, w))?;
        if hidden > 0 && config.format == Format::Table && !config.quiet {
            eprintln!(
                "{hidden} expired binding{} not shown (expired by this machine's clock, {}); --all shows {}.",
                if hidden == 1 { "" } else { "s" },
                crate::condition::format_timestamp(at),
                if hidden == 1 { "it" } else { "them" }
            );
        }
        found.settle()
    })
}
/// Joins the rows of bindings Privileged Access Manager wrote to the grants that wrote them
/// ([`crate::pam::join_grants`]): per project, folder or organization with such rows, one
/// `entitlements.list`, then one `grants.list` per entitlement there that holds one of their
/// roles. The cost grows with the scopes and entitlements, never with the bindings. A scope whose
/// grants cannot be read (PAM not enabled, no `privilegedaccessmanager.grants.list`) keeps its
/// rows as they are, and a warning says so.
async fn join_pam(config: &Config, gcp: &crate::gcp::Gcp, rows: &mut [TimedBinding]) {
    use futures::StreamExt;
    let scopes: std::collections::BTreeSet<String> = rows
        .iter()
        .filter(|r| r.source == crate::source::Source::Pam)
        .filter(|r| crate::gcp::pam::scope_of(&r.resource).is_some_and(|s| s.name() == r.resource))
        .map(|r| r.resource.clone())
        .collect();
    let read: Vec<(String, Result<Vec<crate::gcp::pam::Grant>, Error>)> = futures::stream::iter(scopes)
        .map(|name| {
            let roles = crate::pam::pam_roles_on(rows, &name);
            async move {
                let grants = async {
                    let Some(scope) = crate::gcp::pam::scope_of(&name) else { return Ok(Vec::new()) };
                    let mut grants = Vec::new();
                    for e in gcp.list_entitlements(&scope).await? {
                        if e.roles().iter().any(|r| roles.contains(*r)) {
                            grants.extend(gcp.list_grants(&e.name).await?);
                        }
                    }
                    Ok(grants)
                };
                let grants = grants.await;
                (name, grants)
            }
        })
        .buffered(target::CONCURRENCY)
        .collect()
        .await;
    let mut failed: Vec<(String, Error)> = Vec::new();
    for (scope, grants) in read {
        match grants {
            Ok(grants) => {
                crate::pam::join_grants(rows, &scope, &grants);
            }
            Err(e) => failed.push((scope, e)),
        }
    }
    // One warning, however many scopes (a --recursive list can hold many).
    if let Some((scope, e)) = failed.first()
        && !config.quiet
    {
        let more = match failed.len() {
            1 => String::new(),
            n => format!(" and {} other scope{}", n - 1, if n == 2 { "" } else { "s" }),
        };
        eprintln!(
            "warning: `{}`{more}: PAM's grants cannot be read, so the requester and approver of PAM's bindings are not shown: {}",
            output::escape(scope),
            output::escape(&e.to_string())
        );
    }
}

//! `jit history`: who granted, extended, revoked or cleaned up which time-bound access, when, by
//! whom and why, from Cloud Audit Logs' Admin Activity entries (issue 11 item 5). One
//! `entries.list` query per scope (every page), read by the pure `crate::history`; on a project,
//! folder or organization the same query also asks for Privileged Access Manager's grant events,
//! read by `crate::pam_log`.

use std::str::FromStr;

use futures::StreamExt;

use crate::cli::HistoryArgs;
use crate::config::{Config, Target};
use crate::error::Error;
use crate::history::{self, Event, Query};
use crate::iam::{Principal, Role};
use crate::kinds::{Log, row};
use crate::output;
use crate::target::{self, Place, Policies};

/// `--since`, `--member` and `--role`, checked before anything is sent.
pub fn resolve(args: &HistoryArgs, now: chrono::DateTime<chrono::Utc>) -> Result<Query, Error> {
    // Members as policies (and so the log's deltas) spell them: a bare e-mail becomes `user:` or
    // `serviceAccount:`; any well-formed member is allowed, as for `list`.
    let members = args
        .member
        .iter()
        .map(|m| {
            let m = m.trim();
            if Principal::is_well_formed(m) {
                Ok(m.to_string())
            } else {
                Principal::from_str(m).map(|p| p.to_string())
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let roles = args
        .role
        .iter()
        .map(|r| Role::from_str(r).map(|r| r.as_str().to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Query::new(&args.since, members, roles, now)
}

pub fn run(config: &Config, args: &HistoryArgs) -> Result<i32, Error> {
    let query = resolve(args, config.now)?;
    if !matches!(config.target, Target::Api(_)) {
        return Err(Error::usage("`jit history` reads Cloud Audit Logs; a policy file has no history"));
    }
    // Every scope whose log jit cannot name is refused before anything is sent (a bucket's
    // project is asked of Cloud Storage below).
    for r in config.scopes.iter().filter(|r| row(r.kind).history.log != Log::BucketProject) {
        history::container(r, None)?;
    }
    target::block_on(async {
        let policies = Policies::open(config).await?;
        let Some(gcp) = policies.gcp() else {
            return Err(Error::usage("`jit history` reads Cloud Audit Logs; a policy file has no history"));
        };
        let query = &query;
        let results: Vec<(Place, Result<Vec<Event>, Error>)> = futures::stream::iter(config.scopes.iter())
            .map(|r| async move {
                let read = async {
                    let number = match row(r.kind).history.log {
                        Log::BucketProject => Some(gcp.bucket_project_number(r).await?),
                        _ => None,
                    };
                    let container = history::container(r, number.as_deref())?;
                    let filter = history::filter(r, query);
                    // PAM's grant events live in the scope's own logs (issue 21).
                    let pam = r.is_container();
                    let filter = if pam { crate::pam_log::or_pam(&filter, query) } else { filter };
                    let name = r.name();
                    let (entries, skipped): (Vec<history::LogEntry>, usize) =
                        gcp.log_entries(&container, &filter, &name).await?;
                    if skipped > 0 {
                        eprintln!(
                            "warning: `{}`: skipped {skipped} log {} that jit cannot read",
                            crate::text::escape(&name),
                            if skipped == 1 { "entry" } else { "entries" }
                        );
                    }
                    let mut events: Vec<Event> = entries
                        .iter()
                        .filter(|e| history::is_for(r, e))
                        .flat_map(|e| history::events(&name, e, query))
                        .collect();
                    events.extend(crate::pam_log::events(&name, &entries, query));
                    Ok(events)
                };
                (Place::Resource(r.clone()), read.await)
            })
            .buffered(target::CONCURRENCY)
            .collect()
            .await;
        let mut read = crate::flow::Read::of(results);
        if let Some(answer) = read.all_failed() {
            return answer;
        }
        let mut events: Vec<Event> = std::mem::take(&mut read.found).into_iter().flatten().collect();
        history::sort(&mut events);
        super::to_stdout(config, |w| output::history(&events, config.format, query.since, w))?;
        read.settle()
    })
}

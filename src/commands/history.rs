//! `jit history`: who granted, extended, revoked or cleaned up which time-bound access, when, by
//! whom and why, from Cloud Audit Logs' Admin Activity entries (issue 11 item 5). One
//! `entries.list` query per scope (every page), read by the pure `crate::history`.

use std::str::FromStr;

use futures::StreamExt;

use crate::cli::HistoryArgs;
use crate::config::{Config, Target};
use crate::error::{Error, exit};
use crate::history::{self, Event, Query};
use crate::iam::{Kind, Principal, ResourceId, Role};
use crate::output;

use super::api::{Session, runtime};

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
    let Target::Api(conn) = &config.target else {
        return Err(Error::usage("`jit history` reads Cloud Audit Logs; a policy file has no history"));
    };
    // Every scope whose log jit cannot name is refused before anything is sent (a bucket's
    // project is asked of Cloud Storage below).
    for r in config.scopes.iter().filter(|r| r.kind != Kind::Bucket) {
        history::container(r, None)?;
    }
    runtime()?.block_on(async {
        let session = Session::connect(config, conn).await?;
        let gcp = &session.gcp;
        let query = &query;
        let results: Vec<(ResourceId, Result<Vec<Event>, Error>)> =
            futures::stream::iter(config.scopes.iter())
                .map(|r| async move {
                    let read = async {
                        let number = match r.kind {
                            Kind::Bucket => Some(gcp.bucket_project_number(r).await?),
                            _ => None,
                        };
                        let container = history::container(r, number.as_deref())?;
                        let filter = history::filter(r, query);
                        let name = r.name();
                        let entries = gcp.log_entries(&container, &filter, &name).await?;
                        Ok(entries
                            .iter()
                            .filter(|e| history::is_for(r, e))
                            .flat_map(|e| history::events(&name, e, query))
                            .collect())
                    };
                    (r.clone(), read.await)
                })
                .buffered(8)
                .collect()
                .await;
        let total = results.len();
        let mut events = Vec::new();
        let mut errors = Vec::new();
        for (r, result) in results {
            match result {
                Ok(found) => events.extend(found),
                Err(e) => errors.push((r, e)),
            }
        }
        if errors.len() == total && total > 0 {
            // Every scope failed: the first error is the answer (one scope is the common case).
            return Err(errors.swap_remove(0).1);
        }
        history::sort(&mut events);
        super::to_stdout(config, |w| output::history(&events, config.format, query.since, w))?;
        for (r, e) in &errors {
            let message = match e.hint() {
                Some(h) => format!("{e} ({h})"),
                None => e.to_string(),
            };
            eprintln!("error: {}: {}", output::escape(&r.name()), output::escape(&message));
        }
        Ok(if errors.is_empty() { exit::OK } else { exit::PARTIAL })
    })
}

//! `jit list`: every time-bound binding on the places named (a policy file, or resources through
//! the API), read at once; with `--recursive`, on every resource below the projects, folders and
//! organizations named, through Cloud Asset Inventory's search (or the walk); with `--at`, who
//! holds access at that instant.

use crate::cli::Via;
use crate::config::{self, Config};
use crate::edit::{self, TimedBinding};
use crate::error::Error;
use crate::output;
use crate::target::{self, Place, Policies, Progress};

pub fn run(config: &Config, l: &config::List) -> Result<i32, Error> {
    // The instant the states are computed at: now, or `--at`.
    let at = l.at.unwrap_or(config.now);
    target::block_on(async {
        let mut policies = Policies::open(config).await?;
        let (rows, errors, total) = if l.recursive {
            policies.check_recursive()?;
            let index = match l.via {
                Via::Asset => match policies.search().await? {
                    Ok(index) => Some(index),
                    Err(e) => {
                        if !config.quiet {
                            eprintln!("note: {}", output::escape(&target::fallback_note(&e)));
                        }
                        None
                    }
                },
                Via::Walk => None,
            };
            match index {
                Some(index) => {
                    let mut rows = Vec::new();
                    let mut errors = index.errors;
                    for (place, policy) in &index.found {
                        match edit::timed_bindings(&place.name(), policy, at) {
                            Ok(r) => rows.extend(r),
                            Err(e) => errors.push((place.clone(), e)),
                        }
                    }
                    let total = index.found.len() + errors.len();
                    (rows, errors, total)
                }
                None => walk(config, &mut policies, at).await?,
            }
        } else {
            read(config, &policies, at).await
        };
        if total > 0 && errors.len() == total {
            return target::settle(&errors, total);
        }
        let mut rows = l.filter(rows);
        edit::sort(&mut rows);
        policies.report(config, false, None, |w, format| output::list(&rows, format, at, w))?;
        for e in target::resource_errors(&errors) {
            eprintln!("error: {}: {}", output::escape(&e.resource), output::escape(&e.message));
        }
        target::settle(&errors, total)
    })
}

type Read = (Vec<TimedBinding>, Vec<(Place, Error)>, usize);

/// Reads every place's policy, at most [`target::CONCURRENCY`] at once.
async fn read(config: &Config, policies: &Policies, at: chrono::DateTime<chrono::Utc>) -> Read {
    let total = policies.places().len();
    let progress = Progress::new(config, total, "reading");
    let results = policies
        .read_each(target::CONCURRENCY, &progress, |name, policy| edit::timed_bindings(name, policy, at))
        .await;
    progress.finish();
    let (found, errors) = target::split(results);
    (found.into_iter().flatten().collect(), errors, total)
}

/// The walk: every folder and project below the folders and organizations named, each read.
async fn walk(
    config: &Config,
    policies: &mut Policies,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Read, Error> {
    let containers = policies
        .places()
        .iter()
        .any(|p| matches!(p, Place::Resource(r) if r.kind != crate::iam::Kind::Project));
    let walk_errors =
        if containers { policies.add_descendants(target::CONCURRENCY).await? } else { Vec::new() };
    let (rows, mut errors, total) = read(config, policies, at).await;
    let failed = walk_errors.len();
    errors.extend(walk_errors);
    Ok((rows, errors, total + failed))
}

//! `jit cleanup`: removes the time-bound grants that can never grant again, on the places named
//! (a policy file, or resources through the API, and with --recursive every resource below them),
//! with bounded concurrency; one resource's failure does not stop the others.
//!
//! With `--recursive` (and `--via asset`, the default), Cloud Asset Inventory's search is only an
//! index: a resource is read and written only when its indexed policy holds a binding the cleanup
//! would remove, and then through the usual etag-guarded read-modify-write, whose fresh read
//! decides again. A stale index can cost a read that finds nothing to do, never a removal of live
//! access (a binding extended after the index was built is live in the fresh read, and stays).

use std::collections::HashMap;

use crate::cli::Via;
use crate::config::{self, Config};
use crate::edit;
use crate::error::Error;
use crate::flow;
use crate::target::{self, Place, Policies};

pub fn run(config: &Config, c: &config::Cleanup) -> Result<i32, Error> {
    // A grace reaching back past any time a condition can hold is refused before anything is read
    // (issue 8 defect 5: it panicked).
    crate::timespec::cutoff(config.now, c.grace)?;
    target::block_on(async {
        let mut policies = Policies::open(config).await?;
        let now = config.now;
        let mut extra: Vec<(Place, Result<Vec<edit::TimedBinding>, Error>)> = Vec::new();
        if c.recursive {
            if c.via == Via::Asset {
                policies.check_recursive()?;
            }
            // Candidates: the resources whose indexed policy holds something to remove, decided a
            // search page at a time (issue 22 item 3: the policies are not kept).
            let mut candidates = Vec::new();
            let index = policies
                .index(config, c.via, |place, policy| {
                    match edit::cleanup(&place.name(), &policy, now, c.grace, c.only_jit) {
                        Ok((_, removed)) if !removed.is_empty() => candidates.push(place),
                        // Nothing to do by the index: examined, not read again.
                        Ok(_) => extra.push((place, Ok(Vec::new()))),
                        // The index's copy cannot be read (a version-1 view): the fresh read
                        // decides.
                        Err(_) => candidates.push(place),
                    }
                })
                .await?;
            match index {
                Some(index) => {
                    extra.extend(index.errors.into_iter().map(|(p, e)| (p, Err(e))));
                    policies.set_places(candidates);
                }
                None => {
                    let walk_errors = policies.add_descendants(c.concurrency).await?;
                    extra.extend(walk_errors.into_iter().map(|(p, e)| (p, Err(e))));
                }
            }
        }
        // Google judges `request.time` by its own clock: with this machine's ahead of it, expiry
        // is judged by Google's, from the `Date` of the answer to the read just made (issue 17
        // item 3).
        let gcp = policies.gcp().cloned();
        let skew = || gcp.as_ref().and_then(crate::gcp::Gcp::clock_skew);
        // Killed part-way, the run says how far it got (issue 22 item 4).
        let _stopped = super::stopped::ReportOnSignal::install(policies.places().len());
        let edit = |name: &str, policy: &crate::policy::Policy| {
            let judged = crate::gcp::clock::judge(now, skew());
            let (new, removed) = edit::cleanup(name, policy, judged, c.grace, c.only_jit)?;
            let changed = !removed.is_empty();
            Ok((new, removed, changed))
        };
        let mut results =
            flow::apply(config, &policies, HashMap::new(), c.concurrency, "cleaning up", c.dry_run, edit)
                .await;
        if let Some(line) = crate::gcp::clock::cleanup_warning(skew()) {
            eprintln!("warning: {line}");
        }
        results.extend(extra);
        super::report_removals(config, &policies, results, c.dry_run, "Nothing to clean up.", None)
    })
}

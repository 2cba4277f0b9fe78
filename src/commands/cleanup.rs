//! `jit cleanup`: removes the time-bound grants that can never grant again, on the places named
//! (a policy file, or resources through the API, and with --recursive every folder and project
//! below them), with bounded concurrency; one resource's failure does not stop the others.

use std::collections::HashMap;

use crate::config::{self, Config};
use crate::edit;
use crate::error::Error;
use crate::target::{self, Place, Policies, Progress};

pub fn run(config: &Config, c: &config::Cleanup) -> Result<i32, Error> {
    // A grace reaching back past any time a condition can hold is refused before anything is read
    // (issue 8 defect 5: it panicked).
    crate::timespec::cutoff(config.now, c.grace)?;
    target::block_on(async {
        let mut policies = Policies::open(config).await?;
        let now = config.now;
        let walk_errors: Vec<(Place, Error)> =
            if c.recursive { policies.add_descendants(c.concurrency).await? } else { Vec::new() };
        let progress = Progress::new(config, policies.places().len(), "cleaning up");
        let mut results = policies
            .edit_each(HashMap::new(), c.concurrency, &progress, c.dry_run, |name, policy| {
                let (new, removed) = edit::cleanup(name, policy, now, c.grace, c.only_jit)?;
                let changed = !removed.is_empty();
                Ok((new, removed, changed))
            })
            .await;
        progress.finish();
        results.extend(walk_errors.into_iter().map(|(p, e)| (p, Err(e))));
        super::report_removals(config, &policies, results, c.dry_run, "Nothing to clean up.", None)
    })
}

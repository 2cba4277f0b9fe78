//! `jit list`: every time-bound binding on the places named (a policy file, or resources through
//! the API), read at once.

use crate::config::{self, Config};
use crate::edit;
use crate::error::Error;
use crate::output;
use crate::target::{self, Policies, Progress};

pub fn run(config: &Config, l: &config::List) -> Result<i32, Error> {
    target::block_on(async {
        let policies = Policies::open(config).await?;
        let now = config.now;
        let total = policies.places().len();
        let progress = Progress::new(config, total, "reading");
        let results = policies
            .read_each(target::CONCURRENCY, &progress, |name, policy| edit::timed_bindings(name, policy, now))
            .await;
        progress.finish();
        let (found, errors) = target::split(results);
        if errors.len() == total {
            return target::settle(&errors, total);
        }
        let mut rows = l.filter(found.into_iter().flatten().collect());
        edit::sort(&mut rows);
        policies.report(config, false, None, |w, format| output::list(&rows, format, now, w))?;
        for e in target::resource_errors(&errors) {
            eprintln!("error: {}: {}", output::escape(&e.resource), output::escape(&e.message));
        }
        target::settle(&errors, total)
    })
}

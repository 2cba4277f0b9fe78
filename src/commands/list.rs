//! `jit list`: every time-bound binding on the places named (a policy file, or resources through
//! the API), read at once.

use crate::cli::Format;
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
        let found: Vec<_> = found.into_iter().flatten().collect();
        // Expired bindings left out, to say so with the clock they were judged by (issue 12 item
        // 10: under an emulator whose clock is in the past, an empty list did not say why).
        let hidden =
            if l.all { 0 } else { config::List { all: true, ..l.clone() }.filter(found.clone()).len() };
        let mut rows = l.filter(found);
        let hidden = hidden.saturating_sub(rows.len());
        edit::sort(&mut rows);
        // An empty table names what was read (issue 12 item 10: the default project went unnamed).
        let read: Vec<String> = policies
            .places()
            .iter()
            .filter(|p| !errors.iter().any(|(failed, _)| failed == *p))
            .map(|p| p.name())
            .collect();
        let read = match read.as_slice() {
            [one] => format!("`{one}`"),
            many => format!("{} resources", many.len()),
        };
        policies.report(config, false, None, |w, format| {
            if rows.is_empty() && format == Format::Table {
                writeln!(w, "No time-bound bindings on {}.", output::escape(&read))
                    .map_err(|e| Error::io(format!("cannot write to stdout: {e}")))
            } else {
                output::list(&rows, format, now, w)
            }
        })?;
        if hidden > 0 && config.format == Format::Table && !config.quiet {
            eprintln!(
                "{hidden} expired binding{} not shown (expired by this machine's clock, {}); --all shows {}.",
                if hidden == 1 { "" } else { "s" },
                crate::condition::format_timestamp(now),
                if hidden == 1 { "it" } else { "them" }
            );
        }
        target::print_errors(&target::resource_errors(&errors));
        target::settle(&errors, total)
    })
}

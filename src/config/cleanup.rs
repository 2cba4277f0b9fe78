//! A resolved `jit cleanup`.

use chrono::Duration;

use crate::cli;
use crate::error::Error;
use crate::timespec;

/// A resolved `jit cleanup`.
#[derive(Debug, Clone)]
pub struct Cleanup {
    pub dry_run: bool,
    pub recursive: bool,
    pub via: cli::Via,
    pub only_jit: bool,
    pub grace: Duration,
    pub concurrency: usize,
}

impl Cleanup {
    pub fn resolve(args: &cli::CleanupArgs) -> Result<Cleanup, Error> {
        Ok(Cleanup {
            dry_run: args.dry_run,
            recursive: args.recursive,
            via: args.via,
            only_jit: args.only_jit,
            grace: args
                .grace
                .as_deref()
                .map(timespec::parse_duration)
                .transpose()?
                .unwrap_or_else(Duration::zero),
            concurrency: args.concurrency.into(),
        })
    }
}

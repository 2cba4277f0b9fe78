//! `jit emulator`: the flags (always, so that every build has the same command line, completions
//! and man page) and, with the default `emulator` feature, the server from the `jit-emulator`
//! crate. A build without the feature says so and exits 2.

use std::path::PathBuf;

use crate::error::Error;

/// `jit emulator` flags.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Emulator options")]
pub struct Args {
    /// Port to listen on, on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Keep the state in this JSON file: written atomically after every change, reloaded on start.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Start from this seed (hierarchy, policies, identities) instead of the built-in demo.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Accept every request without credentials and allow everything; a token it does not know
    /// stands for the seed's metadataPrincipal (what its metadata server hands out).
    #[arg(long)]
    pub no_auth: bool,
    /// Start the emulator's clock (the `request.time` of conditions) at this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    pub clock: Option<String>,
    /// Keep the clock still (it moves only through the control routes).
    #[arg(long)]
    pub freeze_clock: bool,
    /// Fault: add this latency to every API call.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Fault: probability (0–1) that a setIamPolicy answers 409 ABORTED.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub conflict_rate: f64,
    /// Fault: probability (0–1) that an API call answers --error-status with Retry-After.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub error_rate: f64,
    /// Fault: the status of injected errors, 429 or 503.
    #[arg(long, value_name = "CODE", default_value_t = 503, value_parser = parse_error_status)]
    pub error_status: u16,
    /// Fault: Retry-After seconds on injected errors.
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    pub retry_after: u64,
    /// Fault: probability (0–1) that an API call's connection is dropped without an answer.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Cloud Asset Inventory's index lag: searchAllIamPolicies sees the policies as they were
    /// this many seconds ago (at most 35 days; 0: up to date). Also POST /_emulator/asset.
    #[arg(long, value_name = "SECONDS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=3_024_000))]
    pub asset_lag: u64,
    /// Quota: setIamPolicy calls a minute per quota project per service, answered 429
    /// RESOURCE_EXHAUSTED past it as Google does (Resource Manager's default is 600; 0: off). Also
    /// POST /_emulator/quotas.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub quota_writes_per_minute: u32,
    /// Quota: IAM policy writes a second per bucket (Cloud Storage's limit is 1; 0: off).
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub quota_bucket_updates_per_second: u32,
    /// Quota: searchAllIamPolicies calls a minute per quota project (Cloud Asset's default is 400;
    /// 0: off).
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub quota_searches_per_minute: u32,
    /// Write a service-account JSON key file (token_uri pointing at the emulator) and register its
    /// key, then serve.
    #[arg(long, value_name = "FILE")]
    pub write_key: Option<PathBuf>,
    /// The service account of --write-key (named so as not to read as the global
    /// --service-account scope).
    #[arg(long, value_name = "EMAIL", default_value = "jit-cleanup@jit-demo-prod.iam.gserviceaccount.com")]
    pub key_account: String,
    /// Print the built-in demo seed (the seed file format) and exit.
    #[arg(long)]
    pub print_seed: bool,
}

fn parse_error_status(s: &str) -> Result<u16, String> {
    match s {
        "429" => Ok(429),
        "503" => Ok(503),
        _ => Err("injected errors are 429 or 503".to_string()),
    }
}

#[cfg(not(feature = "emulator"))]
pub fn run(_args: Args) -> Result<(), Error> {
    Err(Error::no_emulator())
}

#[cfg(feature = "emulator")]
pub fn run(args: Args) -> Result<(), Error> {
    if args.print_seed {
        println!("{}", jit_emulator::DEMO_SEED.trim_end());
        return Ok(());
    }
    let clock = match &args.clock {
        Some(s) => Some(
            chrono::DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&chrono::Utc)).map_err(|_| {
                Error::usage_hint(format!("`{s}` is not a time"), "use RFC 3339, e.g. 2026-11-25T12:00:00Z")
            })?,
        ),
        None => None,
    };
    for (name, p) in [
        ("--conflict-rate", args.conflict_rate),
        ("--error-rate", args.error_rate),
        ("--drop-rate", args.drop_rate),
    ] {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::usage(format!("{name} must be between 0 and 1, not {p}")));
        }
    }
    let opts = jit_emulator::Options {
        port: args.port,
        state: args.state.clone(),
        seed: args.seed.clone(),
        seed_data: None,
        no_auth: args.no_auth,
        faults: jit_emulator::Faults {
            latency_ms: args.latency_ms,
            conflict_rate: args.conflict_rate,
            error_rate: args.error_rate,
            error_status: args.error_status,
            retry_after_seconds: Some(args.retry_after),
            drop_rate: args.drop_rate,
            ..jit_emulator::Faults::default()
        },
        clock,
        freeze_clock: args.freeze_clock,
        limits: jit_emulator::Limits::default(),
        asset_lag_seconds: args.asset_lag,
        quotas: jit_emulator::server::quota::Quotas {
            writes_per_minute: args.quota_writes_per_minute,
            bucket_updates_per_second: args.quota_bucket_updates_per_second,
            searches_per_minute: args.quota_searches_per_minute,
        },
    };
    let key = args
        .write_key
        .clone()
        .map(|path| jit_emulator::KeyFile { path, service_account: args.key_account.clone() });
    jit_emulator::serve(opts, key).map_err(Error::from_emulator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_without_the_emulator_says_so() {
        let e = Error::no_emulator();
        assert_eq!(
            e.to_string(),
            "this build of jit has no emulator (it was built without the `emulator` feature)"
        );
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        assert_eq!(
            e.hint().as_deref(),
            Some(
                "use a default build (`cargo install --path .`), or point jit at an emulator with --endpoint"
            )
        );
    }
}

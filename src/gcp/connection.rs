//! The connection to Google for one run ([`Gcp`]): how it is reached ([`Options`]), the
//! credentials and clients resolved once, `--verbose`'s log, the pacer.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::auth::{self, Identity};
use super::client::{self, resolve_endpoint};
use super::retry::RetryBudget;
use super::{pace, project_cache};
use crate::config::env::Vars;

/// How to reach Google: resolved from the global flags.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--endpoint`; `None` falls back to `CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER`,
    /// then Google's.
    pub endpoint: Option<String>,
    pub access_token_file: Option<PathBuf>,
    /// An access token handed over directly (the in-process emulator's, `jit --emulator`); wins
    /// over every other credential.
    pub access_token: Option<auth::AccessToken>,
    /// `--impersonate-service-account EMAIL`.
    pub impersonate: Option<String>,
    /// No credentials at all (the in-process emulator).
    pub anonymous: bool,
    /// Report each attempt and wait on stderr.
    pub verbose: bool,
    pub retry: RetryBudget,
    /// The quota project sent as `x-goog-user-project` (`--billing-project`,
    /// `CLOUDSDK_BILLING_QUOTA_PROJECT`); `None` leaves it to the credentials (an ADC file's
    /// `quota_project_id`, `GOOGLE_CLOUD_QUOTA_PROJECT`, both read by google-cloud-auth).
    pub quota_project: Option<String>,
    /// The rates writes and searches are paced to (the CLI: Google's published quotas, or
    /// `--writes-per-minute`); the default paces nothing.
    pub pace: pace::Settings,
    /// The longest a `--recursive` listing may take in all (the search of a scope, or the walk
    /// below it); `None`: [`DEFAULT_LISTING_TIMEOUT`].
    pub listing_timeout: Option<Duration>,
    /// The environment variables jit was started with (`config::Env`): gcloud's endpoint
    /// overrides, credentials files, the metadata host.
    pub vars: Vars,
}

/// How long a `--recursive` listing may take by default: an organization of 100,000 projects is
/// searched in minutes at Cloud Asset's quota of 400 pages a minute (500 policies a page).
pub const DEFAULT_LISTING_TIMEOUT: Duration = Duration::from_secs(3600);

pub(crate) type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The connection to Google (or to an emulator) for one run: cheap to clone and share across
/// tasks.
#[derive(Clone)]
pub struct Gcp {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) clients: client::Clients,
    pub(crate) identity: Identity,
    /// The endpoint override, if any: tokeninfo follows it.
    pub(crate) endpoint_override: Option<String>,
    /// `GCE_METADATA_HOST`, as the SDK honours it.
    pub(crate) metadata_host: Option<String>,
    pub(crate) verbose: bool,
    pub(crate) budget: RetryBudget,
    pub(crate) log: LogSink,
    pub(crate) pace: pace::Pacer,
    pub(crate) listing_timeout: Duration,
    /// The project numbers resolved so far (src/gcp/project_names.rs).
    pub(crate) project_names: project_cache::ProjectNames,
}

impl fmt::Debug for Gcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gcp")
            .field("endpoint", &self.inner.clients.endpoint)
            .field("identity", &self.inner.identity)
            .finish_non_exhaustive()
    }
}

impl Gcp {
    /// Resolves credentials and builds the clients; no network call is made yet.
    pub async fn new(opts: Options) -> crate::Result<Gcp> {
        Gcp::with_log(opts, Arc::new(|line: &str| eprintln!("{}", crate::text::escape(line)))).await
    }

    /// As [`Gcp::new`], with `--verbose` lines sent to `log` instead of stderr.
    pub async fn with_log(opts: Options, log: Arc<dyn Fn(&str) + Send + Sync>) -> crate::Result<Gcp> {
        auth::install_crypto();
        let endpoint = resolve_endpoint(opts.endpoint.as_deref(), &opts.vars);
        let iam_endpoint = opts
            .vars
            .raw(auth::IAMCREDENTIALS_OVERRIDE_VAR)
            .filter(|e| !e.trim().is_empty())
            .or_else(|| endpoint.clone());
        let resolved = auth::resolve(&auth::AuthOptions {
            access_token_file: opts.access_token_file.clone(),
            access_token: opts.access_token.clone(),
            impersonate: opts.impersonate.clone(),
            anonymous: opts.anonymous,
            iam_endpoint,
            vars: opts.vars.clone(),
            endpoint: endpoint.clone(),
        })?;
        let quota_project = opts.quota_project.clone();
        let gcp = Gcp::from_resolved_with(
            resolved,
            opts.endpoint,
            opts.verbose,
            opts.retry,
            log,
            opts.quota_project,
            opts.vars,
        )
        .await?;
        Ok(gcp.paced(opts.pace, quota_project.as_deref(), opts.listing_timeout))
    }

    /// `endpoint` is `--endpoint`: one base for every service. Without it each service follows
    /// its gcloud override variable (src/kinds/), and tokeninfo follows Cloud Resource
    /// Manager's.
    #[cfg(test)]
    pub(crate) async fn from_resolved(
        resolved: auth::Resolved,
        endpoint: Option<String>,
        verbose: bool,
        budget: RetryBudget,
        log: LogSink,
    ) -> crate::Result<Gcp> {
        Gcp::from_resolved_with(resolved, endpoint, verbose, budget, log, None, Vars::default()).await
    }

    /// As [`Gcp::from_resolved`], with a quota project.
    pub(crate) async fn from_resolved_with(
        resolved: auth::Resolved,
        endpoint: Option<String>,
        verbose: bool,
        budget: RetryBudget,
        log: LogSink,
        quota_project: Option<String>,
        vars: Vars,
    ) -> crate::Result<Gcp> {
        auth::install_crypto();
        let flag = endpoint.map(|e| e.trim().to_string()).filter(|e| !e.is_empty());
        let clients = client::Clients::new(
            flag.as_deref(),
            resolved.creds,
            resolved.source.clone(),
            quota_project.as_deref(),
            &vars,
        )?;
        let endpoint = resolve_endpoint(flag.as_deref(), &vars);
        let gcp = Gcp {
            inner: Arc::new(Inner {
                clients,
                identity: resolved.identity,
                endpoint_override: endpoint,
                metadata_host: vars.raw("GCE_METADATA_HOST"),
                verbose,
                budget,
                log,
                pace: pace::Pacer::new(pace::Settings::default()),
                listing_timeout: DEFAULT_LISTING_TIMEOUT,
                project_names: Default::default(),
            }),
        };
        gcp.log(&format!("using {} against `{}`", resolved.source, gcp.inner.clients.endpoint));
        Ok(gcp)
    }

    /// How far this machine's clock is ahead of Google's (negative: behind), by the `Date` of the
    /// last answer that carried one (issue 17 item 3; src/gcp/clock.rs).
    pub fn clock_skew(&self) -> Option<chrono::Duration> {
        self.inner.clients.clock.skew()
    }

    /// The same connection, paced to `settings` (said under `--verbose`, with the quota project).
    pub(crate) fn paced(
        self,
        settings: pace::Settings,
        quota_project: Option<&str>,
        listing_timeout: Option<Duration>,
    ) -> Gcp {
        let inner = match Arc::try_unwrap(self.inner) {
            Ok(inner) => inner,
            // Not shared yet when built; a clone keeps its own pacer.
            Err(shared) => return Gcp { inner: shared },
        };
        let gcp = Gcp {
            inner: Arc::new(Inner {
                pace: pace::Pacer::new(settings),
                listing_timeout: listing_timeout.unwrap_or(DEFAULT_LISTING_TIMEOUT),
                ..inner
            }),
        };
        gcp.log(&settings.describe(quota_project));
        gcp
    }

    /// Answers 429 (over a quota) so far in this run.
    pub fn throttled(&self) -> u64 {
        self.inner.pace.throttled_count()
    }

    /// The API endpoint in use.
    pub fn endpoint(&self) -> &str {
        &self.inner.clients.endpoint
    }

    pub(crate) fn log(&self, line: &str) {
        if self.inner.verbose {
            (self.inner.log)(&format!("jit: {line}"));
        }
    }
}

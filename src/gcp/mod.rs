//! The only code that talks to Google: client, credentials, error mapping, read-modify-write loop.
//!
//! - [`client`]: jit's one HTTP client, speaking Cloud Resource Manager v3's REST API, one call at
//!   a time; endpoint from `--endpoint` or gcloud's `CLOUDSDK_API_ENDPOINT_OVERRIDES_…` variable.
//! - [`auth`]: credentials in design §5's order through `google-cloud-auth`.
//! - [`errors`]: Google's errors as typed [`crate::Error`]s.
//! - [`retry`]: the budget and the jittered backoff of design §4.2.
//! - [`pace`]: writes and searches paced to Google's rate quotas (issue 22).
//!
//! Endpoints other than Cloud Resource Manager's follow the same override, so that one emulator
//! serves them all: with an endpoint override, tokeninfo is `<endpoint>/oauth2/v3/tokeninfo` and
//! impersonation's `generateAccessToken` is `<endpoint>/v1/projects/-/serviceAccounts/…`
//! (`CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS`, gcloud's own variable, wins for the latter).

/// Pages one search reads at most: 5,000,000 results at 500 a page, far beyond any organization
/// (a server that keeps sending new page tokens is stopped here, issue 17 item 4).
pub const MAX_PAGES: u32 = 10_000;

pub mod asset;
pub mod auth;
pub mod client;
pub mod clock;
pub mod errors;
pub mod kinds;
pub mod logging;
pub mod pace;
pub mod pam;
pub mod retry;
pub mod transport;

#[cfg(test)]
mod emulator_tests;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::config::Vars;
pub use client::{CRM_OVERRIDE_VAR, DEFAULT_ENDPOINT, resolve_endpoint};
pub use retry::RetryBudget;

use crate::error::Error;
use crate::iam::{Kind, ResourceId};
use crate::policy::Policy;
use auth::Identity;
use retry::{Next, Tracker};

/// Google's tokeninfo endpoint, used to learn a user token's e-mail.
/// <https://developers.google.com/identity/protocols/oauth2/web-server#tokeninfo>
pub const TOKENINFO_URL: &str = "https://oauth2.googleapis.com/tokeninfo";

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

/// What an edit of a read policy decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit<T> {
    /// Write this policy (its version and etag are set by [`Gcp::read_modify_write`]), and report
    /// `T`.
    Write(Policy, T),
    /// Nothing to write; report `T`.
    Unchanged(T),
}

/// The result of a read-modify-write.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<T> {
    /// The edit's report from the cycle that succeeded.
    pub value: T,
    /// The policy as Google returned it from the write, or as read when nothing was written.
    pub policy: Policy,
    pub written: bool,
    /// Cycles made, the successful one included.
    pub attempts: u32,
}

type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The connection to Google (or to an emulator) for one run: cheap to clone and share across
/// tasks.
#[derive(Clone)]
pub struct Gcp {
    inner: Arc<Inner>,
}

struct Inner {
    clients: client::Clients,
    identity: Identity,
    /// The endpoint override, if any: tokeninfo follows it.
    endpoint_override: Option<String>,
    /// `GCE_METADATA_HOST`, as the SDK honours it.
    metadata_host: Option<String>,
    verbose: bool,
    budget: RetryBudget,
    log: LogSink,
    pace: pace::Pacer,
    listing_timeout: Duration,
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
    /// its gcloud override variable (src/gcp/kinds.rs), and tokeninfo follows Cloud Resource
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

    fn log(&self, line: &str) {
        if self.inner.verbose {
            (self.inner.log)(&format!("jit: {line}"));
        }
    }

    /// Reads the allow policy, asking for version 3; 429 and 5xx are retried within the budget.
    pub async fn get_policy(&self, r: &ResourceId) -> crate::Result<Policy> {
        let name = r.name();
        self.retrying(self.op_on(r, &name, "getIamPolicy"), || self.inner.clients.get_policy(r)).await
    }

    /// Writes `p` as version 3 with the etag it carries (the one that was read). Refuses a
    /// version-1 view (`_withcond_` roles) and a policy without an etag. 429 and 5xx are retried
    /// (the etag makes a repeated write safe); a conflict is returned to the caller, whose etag is
    /// stale.
    pub async fn set_policy(&self, r: &ResourceId, p: &Policy) -> crate::Result<Policy> {
        refuse_unwritable(r, p)?;
        let mut p = p.clone();
        p.version = Some(3);
        let name = r.name();
        self.retrying(self.op_on(r, &name, "setIamPolicy"), || async {
            self.inner.pace.before_write(r).await;
            let written = self.inner.clients.set_policy(r, &p).await;
            self.inner.pace.after_write(r, &written);
            written
        })
        .await
    }

    /// Whether Google knows `role` (IAM v1 `roles.get` on IAM's endpoint: `--endpoint`, else
    /// `CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM`, else `iam.googleapis.com`); 429 and 5xx are retried
    /// within the budget, each try under its deadline, as every other call.
    pub async fn role_exists(&self, role: &str) -> crate::Result<crate::roles::Online> {
        let op = Op {
            resource: role,
            verb: "roles.get",
            endpoint: self.inner.clients.shown(Kind::ServiceAccount),
        };
        self.retrying(op, || self.inner.clients.get_role(role)).await
    }

    /// The roles Google says can be granted on `scope`, as (name, title), every page of IAM v1
    /// `roles.queryGrantableRoles` (<https://cloud.google.com/iam/docs/reference/rest/v1/roles/queryGrantableRoles>):
    /// predefined roles and the custom roles defined on the scope or above it. 429 and 5xx are
    /// retried within the budget, as every other call.
    pub async fn grantable_roles(&self, scope: &ResourceId) -> crate::Result<Vec<(String, String)>> {
        let name = scope.name();
        let op = Op {
            resource: &name,
            verb: "roles.queryGrantableRoles",
            endpoint: self.inner.clients.shown(Kind::ServiceAccount),
        };
        let clients = &self.inner.clients;
        self.all_pages(op, |token| async move { clients.grantable_roles_page(scope, &token).await }).await
    }

    /// Read → `edit` → write, the whole cycle repeated on 409/412 (fresh read, `edit` run again on
    /// it) and on 429/5xx, with jittered exponential backoff and `Retry-After` honoured, within the
    /// budget (design §4.1–4.3). When the budget is spent the last error is returned and nothing
    /// more is written. Each call has a deadline within the budget, so a server that accepts the
    /// connection and never answers costs the budget's time, not forever.
    pub async fn read_modify_write<T, F>(&self, r: &ResourceId, edit: F) -> crate::Result<Outcome<T>>
    where
        F: FnMut(&Policy) -> crate::Result<Edit<T>>,
    {
        self.read_modify_write_from(r, None, edit).await
    }

    /// As [`Gcp::read_modify_write`], with the first cycle's read already made (`first`, a policy
    /// just read with [`Gcp::get_policy`]): a caller that had to wait for something else anyway
    /// (who the caller is) reads at the same time. Every later cycle reads afresh.
    pub async fn read_modify_write_from<T, F>(
        &self,
        r: &ResourceId,
        first: Option<Policy>,
        edit: F,
    ) -> crate::Result<Outcome<T>>
    where
        F: FnMut(&Policy) -> crate::Result<Edit<T>>,
    {
        let name = r.name();
        self.backstop(
            self.op_on(r, &name, "the read-modify-write"),
            self.read_modify_write_loop(r, first, edit),
        )
        .await
    }

    async fn read_modify_write_loop<T, F>(
        &self,
        r: &ResourceId,
        mut first: Option<Policy>,
        mut edit: F,
    ) -> crate::Result<Outcome<T>>
    where
        F: FnMut(&Policy) -> crate::Result<Edit<T>>,
    {
        let mut tracker = Tracker::new(self.inner.budget);
        loop {
            tracker.attempts += 1;
            self.log(&format!(
                "{r}: read-modify-write, attempt {} of {}",
                tracker.attempts,
                tracker.budget().max_attempts
            ));
            match self.cycle(r, first.take(), &mut edit, &tracker).await {
                Ok((value, policy, written)) => {
                    self.log(&format!(
                        "{r}: {} after {} attempt(s) in {:.1}s",
                        if written { "written" } else { "nothing to write" },
                        tracker.attempts,
                        tracker.elapsed().as_secs_f64()
                    ));
                    return Ok(Outcome { value, policy, written, attempts: tracker.attempts });
                }
                Err(e) => match tracker.throttled(&e).next(&e) {
                    Next::Wait(wait) => {
                        self.log(&format!(
                            "{r}: attempt {} failed: {}; reading again in {}",
                            tracker.attempts,
                            describe(&e),
                            secs(wait)
                        ));
                        tokio::time::sleep(wait).await;
                    }
                    Next::GiveUp => {
                        if matches!(
                            e,
                            Error::Conflict { .. } | Error::Unavailable { .. } | Error::Network { .. }
                        ) {
                            self.log(&format!(
                                "{r}: attempt {} failed: {}; retry budget spent",
                                tracker.attempts,
                                describe(&e)
                            ));
                        }
                        return Err(retry::exhausted(e, &tracker));
                    }
                },
            }
        }
    }

    async fn cycle<T, F>(
        &self,
        r: &ResourceId,
        first: Option<Policy>,
        edit: &mut F,
        tracker: &Tracker,
    ) -> crate::Result<(T, Policy, bool)>
    where
        F: FnMut(&Policy) -> crate::Result<Edit<T>>,
    {
        let name = r.name();
        let read = match first {
            Some(read) => read,
            None => {
                self.log(&format!("{r}: getIamPolicy (version 3)"));
                within(
                    tracker.attempt_limit(),
                    self.op_on(r, &name, "getIamPolicy"),
                    self.inner.clients.get_policy(r),
                )
                .await?
            }
        };
        match edit(&read)? {
            Edit::Unchanged(value) => Ok((value, read, false)),
            Edit::Write(mut new, value) => {
                refuse_unwritable(r, &read)?;
                refuse_conditions(r, &read, &new)?;
                new.version = Some(3);
                new.etag = read.etag.clone();
                refuse_unwritable(r, &new)?;
                self.log(&format!(
                    "{r}: setIamPolicy (version 3, etag {})",
                    new.etag.as_deref().unwrap_or("")
                ));
                // The quota's slot is waited for before the try's deadline starts.
                self.inner.pace.before_write(r).await;
                let written = within(
                    tracker.attempt_limit(),
                    self.op_on(r, &name, "setIamPolicy"),
                    self.inner.clients.set_policy(r, &new),
                )
                .await;
                self.inner.pace.after_write(r, &written);
                let written = written?;
                Ok((value, written, true))
            }
        }
    }

    /// One call retried on 429/5xx and dropped or timed-out connections within the budget, each
    /// try with its deadline.
    async fn retrying<T, Fut>(&self, op: Op<'_>, call: impl FnMut() -> Fut) -> crate::Result<T>
    where
        Fut: Future<Output = crate::Result<T>>,
    {
        self.backstop(op, self.retrying_loop(op, call)).await
    }

    async fn retrying_loop<T, Fut>(&self, op: Op<'_>, mut call: impl FnMut() -> Fut) -> crate::Result<T>
    where
        Fut: Future<Output = crate::Result<T>>,
    {
        let what = op.label();
        let mut tracker = Tracker::new(self.inner.budget);
        loop {
            tracker.attempts += 1;
            self.log(&format!("{what}, attempt {} of {}", tracker.attempts, tracker.budget().max_attempts));
            match within(tracker.attempt_limit(), op, call()).await {
                Ok(v) => return Ok(v),
                Err(e @ (Error::Unavailable { .. } | Error::Network { .. })) => {
                    match tracker.throttled(&e).next(&e) {
                        Next::Wait(wait) => {
                            self.log(&format!("{what}: {}; trying again in {}", describe(&e), secs(wait)));
                            tokio::time::sleep(wait).await;
                        }
                        Next::GiveUp => {
                            self.log(&format!("{what}: {}; retry budget spent", describe(&e)));
                            return Err(retry::exhausted(e, &tracker));
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// What to name in messages about a call to Cloud Resource Manager.
    fn op<'a>(&'a self, resource: &'a str, verb: &'a str) -> Op<'a> {
        Op { resource, verb, endpoint: self.endpoint() }
    }

    /// What to name in messages about a call on `r`, to the endpoint of its service.
    fn op_on<'a>(&'a self, r: &ResourceId, resource: &'a str, verb: &'a str) -> Op<'a> {
        Op { resource, verb, endpoint: self.inner.clients.shown(r.kind) }
    }

    /// The whole operation within its budget, as a backstop behind the deadline of each try: the
    /// waits are planned within the budget and each try is cut at what is left of it, so this
    /// only fires if something unforeseen (a credentials lock, a slow scheduler) holds on.
    async fn backstop<T>(
        &self,
        op: Op<'_>,
        work: impl Future<Output = crate::Result<T>>,
    ) -> crate::Result<T> {
        within(self.inner.budget.max_elapsed + BACKSTOP_GRACE, op, work).await
    }

    /// The caller's own principal, for the default `--member`: `serviceAccount:EMAIL` for a key
    /// file, impersonation or the metadata server; `user:EMAIL` (or `serviceAccount:`) for a user
    /// token, from tokeninfo (`<endpoint>/oauth2/v3/tokeninfo` when an endpoint override is set).
    /// `None` when jit cannot tell.
    pub async fn caller_principal(&self) -> crate::Result<Option<String>> {
        let who = self.caller_principal_once().await?;
        match &who {
            Some(p) => self.log(&format!("acting as {p}")),
            None => self.log("the credentials do not say who they belong to"),
        }
        Ok(who)
    }

    async fn caller_principal_once(&self) -> crate::Result<Option<String>> {
        match &self.inner.identity {
            Identity::Known(p) => Ok(Some(p.clone())),
            Identity::Unknown => Ok(None),
            Identity::Metadata => {
                // Credentials first (issue 19 item 1): off Google Cloud the metadata server gives
                // no token, and that, not "cannot tell who you are", is what to say.
                self.token().await?;
                Ok(self.metadata_email().await.map(|e| crate::iam::member_of_email(&e)))
            }
            Identity::TokenInfo => {
                self.tokeninfo_email().await.map(|e| e.map(|e| crate::iam::member_of_email(&e)))
            }
        }
    }

    fn tokeninfo_url(&self) -> String {
        match &self.inner.endpoint_override {
            Some(e) => client::join(e, "oauth2/v3/tokeninfo"),
            None => TOKENINFO_URL.to_string(),
        }
    }

    /// The e-mail behind the access token, from tokeninfo: `None` when the token carries none (no
    /// `email` scope). A token tokeninfo rejects is an [`Error::Auth`] naming the credentials; a
    /// failing or silent tokeninfo is retried within the budget and then reported as what it is.
    async fn tokeninfo_email(&self) -> crate::Result<Option<String>> {
        let url = self.tokeninfo_url();
        let shown = errors::redact_userinfo(&url);
        let op = Op { resource: "", verb: "tokeninfo", endpoint: &shown };
        self.retrying(op, || self.tokeninfo_once(&url, &shown)).await
    }

    /// The access token of the credentials (`None`: they send none), or the error an API call
    /// would meet getting it.
    async fn token(&self) -> crate::Result<Option<String>> {
        // Worded as a failure to get credentials for an API call is (errors::credentials).
        auth::access_token(self.inner.clients.creds()).await.map_err(|e| Error::Auth {
            message: errors::redact(&format!(
                "could not get credentials from {}: {}",
                self.inner.clients.credentials,
                errors::root_cause(&e)
            )),
            hint: Some(errors::redact(&errors::auth_hint(
                &self.inner.clients.endpoint,
                &self.inner.clients.credentials,
            ))),
        })
    }

    async fn tokeninfo_once(&self, url: &str, shown: &str) -> crate::Result<Option<String>> {
        let token = self.token().await?;
        let Some(token) = token else { return Ok(None) };
        self.log(&format!("asking `{shown}` whose token this is"));
        // The token travels as the documented query parameter; reqwest's errors would name the
        // URL, so they are stripped of it.
        // As errors::transport does for the API: a connection that cannot be made (refused, an untrusted
        // certificate) is not retried; one dropped after it was made is.
        let network = |e: reqwest::Error| {
            let e = e.without_url();
            if e.is_connect() {
                return Error::Api {
                    resource: String::new(),
                    status: None,
                    message: format!(
                        "cannot connect to `{shown}`: {}",
                        errors::redact(&errors::root_cause(&e))
                    ),
                };
            }
            Error::Network {
                resource: String::new(),
                message: format!(
                    "cannot ask `{shown}` whose token this is: {}",
                    errors::redact(&errors::chain(&e))
                ),
            }
        };
        let response = self
            .inner
            .clients
            .http_for(url)?
            .get(url)
            .query(&[("access_token", token.as_str())])
            .send()
            .await
            .map_err(network)?;
        let status = response.status().as_u16();
        let retry_after =
            response.headers().get(http::header::RETRY_AFTER).and_then(errors::parse_retry_after);
        let body = transport::read_capped(response, TOKENINFO_MAX_BYTES).await.map_err(network)?;
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        // Google's answer to a bad token is `400 {"error": "invalid_token", "error_description":
        // "Invalid Value"}` (https://developers.google.com/identity/protocols/oauth2/web-server#tokeninfo
        // shows the call; the emulator answers as Google does).
        let said = [&body["error"], &body["error_description"]]
            .iter()
            .filter_map(|v| v.as_str())
            .map(errors::redact)
            .collect::<Vec<_>>()
            .join(": ");
        let said = if said.is_empty() { String::new() } else { format!(" ({said})") };
        match status {
            200..=299 => Ok(body["email"].as_str().filter(|e| e.contains('@')).map(str::to_string)),
            400 | 401 => Err(Error::Auth {
                message: format!(
                    "Google does not accept {}: `{shown}` answered HTTP {status}{said}",
                    self.inner.clients.credentials
                ),
                hint: Some(format!("the token is invalid or has expired; {}", errors::AUTH_HINT)),
            }),
            429 | 500..=599 => Err(Error::Unavailable {
                resource: String::new(),
                status,
                message: format!("`{shown}` failed to say whose token this is{said}"),
                retry_after,
            }),
            _ => Err(Error::Api {
                resource: String::new(),
                status: Some(status),
                message: format!("`{shown}` did not say whose token this is{said}"),
            }),
        }
    }

    /// The default service account's e-mail from the metadata server (`GCE_METADATA_HOST`
    /// honoured, as the SDK does).
    async fn metadata_email(&self) -> Option<String> {
        let host = self.inner.metadata_host.clone().unwrap_or_else(|| "metadata.google.internal".to_string());
        self.metadata_email_from(&host).await
    }

    async fn metadata_email_from(&self, host: &str) -> Option<String> {
        let url = format!("http://{host}/computeMetadata/v1/instance/service-accounts/default/email");
        self.log(&format!("asking the metadata server `{url}` for the service account"));
        let response = self
            .inner
            .clients
            .http_for(&url)
            .ok()?
            .get(&url)
            .header("Metadata-Flavor", "Google")
            .timeout(METADATA_TIMEOUT.min(self.inner.budget.max_elapsed))
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        let email = response.text().await.ok()?.trim().to_string();
        email.contains('@').then_some(email)
    }

    /// Every folder and project below `root` (a folder or an organization; `root` itself is not
    /// included), through `folders.list?parent=` and `projects.list?parent=`, paginated, with at
    /// most `concurrency` parents listed at once. A parent that cannot be listed is reported in
    /// the second list; the others go on. The resources come back sorted.
    pub async fn descendants(
        &self,
        root: &ResourceId,
        concurrency: usize,
    ) -> (Vec<ResourceId>, Vec<(ResourceId, Error)>) {
        let mut found = Vec::new();
        let mut failed = Vec::new();
        if root.kind == Kind::Project || !root.is_container() {
            return (found, failed);
        }
        let mut queue = vec![root.clone()];
        let mut running = FuturesUnordered::new();
        let deadline = tokio::time::Instant::now() + self.inner.listing_timeout;
        loop {
            while running.len() < concurrency.max(1)
                && let Some(parent) = queue.pop()
            {
                running.push(self.children(parent));
            }
            let next = match tokio::time::timeout_at(deadline, running.next()).await {
                Ok(next) => next,
                Err(_) => {
                    // The walk as a whole is bounded (issue 17 item 4): what was found stays, and
                    // the root is named as not listed in full.
                    failed.push((root.clone(), self.listing_took_too_long(&root.name(), "the walk", 0)));
                    break;
                }
            };
            let Some((parent, folders, projects)) = next else { break };
            match folders {
                Ok(folders) => {
                    found.extend(folders.iter().cloned());
                    queue.extend(folders);
                }
                Err(e) => failed.push((parent.clone(), e)),
            }
            match projects {
                Ok(projects) => found.extend(projects),
                Err(e) => failed.push((parent, e)),
            }
        }
        found.sort();
        found.dedup();
        (found, failed)
    }

    /// The folders and the projects directly under `parent`, every page.
    #[allow(clippy::type_complexity)]
    async fn children(
        &self,
        parent: ResourceId,
    ) -> (ResourceId, crate::Result<Vec<ResourceId>>, crate::Result<Vec<ResourceId>>) {
        let clients = &self.inner.clients;
        // A parent's folders and projects are listed at the same time: the walk is a chain of
        // levels, and each level costs one round trip instead of two.
        let name = parent.name();
        let (folders, projects) = futures::join!(
            self.all_pages(self.op(&name, "folders.list"), |token| {
                let parent = parent.clone();
                async move { clients.list_folders_page(&parent, &token).await }
            }),
            self.all_pages(self.op(&name, "projects.list"), |token| {
                let parent = parent.clone();
                async move { clients.list_projects_page(&parent, &token).await }
            })
        );
        (parent, folders, projects)
    }

    async fn all_pages<T, Fut>(&self, op: Op<'_>, page: impl Fn(String) -> Fut) -> crate::Result<Vec<T>>
    where
        Fut: Future<Output = crate::Result<(Vec<T>, String)>>,
    {
        let mut all = Vec::new();
        let mut token = String::new();
        // A server that keeps handing out page tokens must not keep us forever: the pages are
        // capped, and the walk that asks for them is bounded by time (`descendants`).
        for _ in 0..MAX_PAGES {
            let (items, next) = self.retrying(op, || page(token.clone())).await?;
            all.extend(items);
            if next.is_empty() {
                return Ok(all);
            }
            if next == token {
                return Err(Error::Api {
                    resource: op.resource.to_string(),
                    status: None,
                    message: format!("{} answered with the page token it was sent; stopped", op.verb),
                });
            }
            token = next;
        }
        Err(Error::Api {
            resource: op.resource.to_string(),
            status: None,
            message: format!("{} kept sending page tokens past {} pages; stopped", op.verb, MAX_PAGES),
        })
    }

    /// The error of a listing stopped by its time bound, naming the scope.
    pub(crate) fn listing_took_too_long(&self, scope: &str, what: &str, pages: u32) -> Error {
        let read = if pages > 0 { format!(" after {pages} page(s)") } else { String::new() };
        Error::Api {
            resource: scope.to_string(),
            status: None,
            message: format!(
                "{what} of `{scope}` stopped{read}: a listing may take {} at most (--list-timeout); what was \
                 read is shown",
                humantime(self.inner.listing_timeout)
            ),
        }
    }
}

/// What a call is, for messages: the resource (empty for tokeninfo), the call, and the endpoint
/// that should answer it (its userinfo redacted).
#[derive(Debug, Clone, Copy)]
struct Op<'a> {
    resource: &'a str,
    verb: &'a str,
    endpoint: &'a str,
}

impl Op<'_> {
    /// `projects/p: getIamPolicy`, for `--verbose`.
    fn label(&self) -> String {
        if self.resource.is_empty() {
            self.verb.to_string()
        } else {
            format!("{}: {}", self.resource, self.verb)
        }
    }
}

/// Past the budget, how long [`Gcp::backstop`] lets an operation run before it cuts it.
const BACKSTOP_GRACE: Duration = Duration::from_secs(1);

/// How long the metadata server may take to name the service account (it answers in
/// milliseconds on the VM itself).
const METADATA_TIMEOUT: Duration = Duration::from_secs(5);

/// The most of a tokeninfo answer that is read: Google's is a few hundred bytes.
const TOKENINFO_MAX_BYTES: usize = 64 * 1024;

/// Runs `call` with a deadline. One that does not finish in time is a [`Error::Network`] naming
/// the endpoint, retried like a dropped connection. The deadline covers the whole call, the
/// credentials' token included: a token refresh, a metadata server or an impersonation call that
/// hangs is cut by it too, which a reqwest timeout on the request alone would not do.
async fn within<T>(
    limit: Duration,
    op: Op<'_>,
    call: impl Future<Output = crate::Result<T>>,
) -> crate::Result<T> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result,
        Err(_) => Err(Error::Network {
            resource: op.resource.to_string(),
            message: format!(
                "`{}` did not answer {} within {:.1}s",
                op.endpoint,
                op.verb,
                limit.as_secs_f64()
            ),
        }),
    }
}

/// design §4.3: a version-1 view of a conditional policy is never written back, and neither is a
/// policy without the etag that guards the write.
fn refuse_unwritable(r: &ResourceId, p: &Policy) -> crate::Result<()> {
    if p.is_version1_view_of_conditions() {
        return Err(Error::policy_hint(
            format!(
                "the policy of `{r}` was read as a version-1 view (roles with `_withcond_`); jit will not write it"
            ),
            "the server ignored the request for policy version 3; nothing was changed",
        ));
    }
    if p.etag.as_deref().is_none_or(str::is_empty) {
        return Err(Error::policy_hint(
            format!("the policy of `{r}` has no etag; jit will not write it without one"),
            "the etag guards against overwriting a concurrent change; read the policy again",
        ));
    }
    Ok(())
}

/// A kind that does not accept conditional role bindings (src/gcp/kinds.rs) is never sent a
/// policy that adds one: Google would refuse the write, and jit says why before sending it.
pub(crate) fn refuse_conditions(r: &ResourceId, read: &Policy, new: &Policy) -> crate::Result<()> {
    refuse_conditions_of(kinds::row(r.kind).conditions, r, read, new)
}

/// [`refuse_conditions`] for a kind whose row says `conditions` (a parameter, so that the rule is
/// tested while no row refuses them).
pub(crate) fn refuse_conditions_of(
    conditions: kinds::Conditions,
    r: &ResourceId,
    read: &Policy,
    new: &Policy,
) -> crate::Result<()> {
    if conditions != kinds::Conditions::Refused {
        return Ok(());
    }
    let conditional = |p: &Policy| p.bindings.iter().filter(|b| b.condition.is_some()).count();
    if conditional(new) > conditional(read) {
        return Err(refused_conditions(r));
    }
    Ok(())
}

/// The error for a grant on a kind that does not accept conditional role bindings.
pub fn refused_conditions(r: &ResourceId) -> Error {
    let row = kinds::row(r.kind);
    Error::policy_hint(
        format!(
            "a {} does not accept conditional role bindings, so jit cannot grant time-bound access on `{r}`",
            row.noun
        ),
        "grant the role on its project instead (https://cloud.google.com/iam/help/conditions/resource-policies lists \
         the resource types that accept conditions)",
    )
}

/// A retried error, short, for `--verbose`.
fn describe(e: &Error) -> String {
    match e {
        Error::Conflict { message, .. } => {
            format!("conflict, the etag changed ({})", message.trim_end_matches('.'))
        }
        Error::Unavailable { status, message, retry_after, .. } => {
            let after = retry_after.map(|d| format!(", Retry-After {}s", d.as_secs())).unwrap_or_default();
            format!("HTTP {status} ({}){after}", message.trim_end_matches('.'))
        }
        other => other.to_string(),
    }
}

/// `90s`, `5m`, `1h` as the flags take them.
fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{}ms", d.as_millis()),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

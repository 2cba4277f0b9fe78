//! The only code that talks to Google. This file holds the read-modify-write loop (read the
//! policy, edit it, write it back under its etag, again on a conflict) and the policy's own read
//! and write; the rest has a file each:
//!
//! - [`connection`]: [`Gcp`], the connection for one run, and the [`Options`] it is built from.
//! - [`calls`]: one call retried within the budget, each try under its deadline; every page of a
//!   listing.
//! - [`identity`]: who the caller is (tokeninfo, the metadata server).
//! - [`hierarchy`]: the walk of the folders and projects below a scope.
//! - [`roles`]: whether a role exists, which roles can be granted on a scope.
//! - [`client`]: jit's one HTTP client, speaking Cloud Resource Manager v3's REST API, one call at
//!   a time; endpoint from `--endpoint` or gcloud's `CLOUDSDK_API_ENDPOINT_OVERRIDES_…` variable.
//! - [`auth`]: credentials in design §5's order through `google-cloud-auth`.
//! - [`errors`]: Google's errors as typed [`crate::Error`]s.
//! - [`retry`]: the budget and the jittered backoff of design §4.2.
//! - [`pace`]: writes and searches paced to Google's rate quotas (issue 22).
//! - [`project_names`]: project numbers resolved to IDs, once per run (issue 19 item 6).
//!
//! Endpoints other than Cloud Resource Manager's follow the same override, so that one emulator
//! serves them all: with an endpoint override, tokeninfo is `<endpoint>/oauth2/v3/tokeninfo` and
//! impersonation's `generateAccessToken` is `<endpoint>/v1/projects/-/serviceAccounts/…`
//! (`CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS`, gcloud's own variable, wins for the latter).

pub mod asset;
pub mod auth;
mod calls;
pub mod client;
pub mod clock;
mod connection;
pub mod errors;
mod hierarchy;
mod identity;
pub mod kinds;
pub mod logging;
pub mod pace;
pub mod pam;
mod project_cache;
pub mod project_names;
pub mod retry;
mod roles;
pub mod transport;

#[cfg(test)]
mod emulator_tests;
#[cfg(test)]
mod tests;

use crate::error::Error;
use crate::iam::ResourceId;
use crate::policy::Policy;
use calls::{describe, secs};
use retry::{Next, Tracker};

pub use calls::MAX_PAGES;
pub(crate) use calls::{Op, within};
pub use client::{CRM_OVERRIDE_VAR, DEFAULT_ENDPOINT, resolve_endpoint};
pub use connection::{DEFAULT_LISTING_TIMEOUT, Gcp, Options};
pub use identity::TOKENINFO_URL;
pub use retry::RetryBudget;

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

impl Gcp {
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

/// A kind that does not accept conditional role bindings (src/kinds/) is never sent a
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

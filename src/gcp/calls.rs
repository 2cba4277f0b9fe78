//! One call retried within the budget (design §4.2): each try under its deadline, 429, 5xx and
//! dropped or timed-out connections tried again after a jittered backoff, every page of a listing.

use std::time::Duration;

use super::connection::Gcp;
use super::retry::{self, Next, Tracker};
use crate::error::Error;
use crate::iam::ResourceId;

/// Pages one search reads at most: 5,000,000 results at 500 a page, far beyond any organization
/// (a server that keeps sending new page tokens is stopped here, issue 17 item 4).
pub const MAX_PAGES: u32 = 10_000;

impl Gcp {
    /// One call retried on 429/5xx and dropped or timed-out connections within the budget, each
    /// try with its deadline.
    pub(crate) async fn retrying<T, Fut>(&self, op: Op<'_>, call: impl FnMut() -> Fut) -> crate::Result<T>
    where
        Fut: Future<Output = crate::Result<T>>,
    {
        self.backstop(op, self.retrying_loop(op, call)).await
    }

    pub(crate) async fn retrying_loop<T, Fut>(
        &self,
        op: Op<'_>,
        mut call: impl FnMut() -> Fut,
    ) -> crate::Result<T>
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
    pub(crate) fn op<'a>(&'a self, resource: &'a str, verb: &'a str) -> Op<'a> {
        Op { resource, verb, endpoint: self.endpoint() }
    }

    /// What to name in messages about a call on `r`, to the endpoint of its service.
    pub(crate) fn op_on<'a>(&'a self, r: &ResourceId, resource: &'a str, verb: &'a str) -> Op<'a> {
        Op { resource, verb, endpoint: self.inner.clients.shown(r.kind) }
    }

    /// The whole operation within its budget, as a backstop behind the deadline of each try: the
    /// waits are planned within the budget and each try is cut at what is left of it, so this
    /// only fires if something unforeseen (a credentials lock, a slow scheduler) holds on.
    pub(crate) async fn backstop<T>(
        &self,
        op: Op<'_>,
        work: impl Future<Output = crate::Result<T>>,
    ) -> crate::Result<T> {
        within(self.inner.budget.max_elapsed + BACKSTOP_GRACE, op, work).await
    }

    pub(crate) async fn all_pages<T, Fut>(
        &self,
        op: Op<'_>,
        page: impl Fn(String) -> Fut,
    ) -> crate::Result<Vec<T>>
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
}

/// What a call is, for messages: the resource (empty for tokeninfo), the call, and the endpoint
/// that should answer it (its userinfo redacted).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Op<'a> {
    pub(crate) resource: &'a str,
    pub(crate) verb: &'a str,
    pub(crate) endpoint: &'a str,
}

impl Op<'_> {
    /// `projects/p: getIamPolicy`, for `--verbose`.
    pub(crate) fn label(&self) -> String {
        if self.resource.is_empty() {
            self.verb.to_string()
        } else {
            format!("{}: {}", self.resource, self.verb)
        }
    }
}

/// Past the budget, how long [`Gcp::backstop`] lets an operation run before it cuts it.
pub(crate) const BACKSTOP_GRACE: Duration = Duration::from_secs(1);

/// Runs `call` with a deadline. One that does not finish in time is a [`Error::Network`] naming
/// the endpoint, retried like a dropped connection. The deadline covers the whole call, the
/// credentials' token included: a token refresh, a metadata server or an impersonation call that
/// hangs is cut by it too, which a reqwest timeout on the request alone would not do.
pub(crate) async fn within<T>(
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

/// A retried error, short, for `--verbose`.
pub(crate) fn describe(e: &Error) -> String {
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

pub(crate) fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

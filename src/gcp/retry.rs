//! The retry budget shared by a whole operation: how many tries and how much time, and the
//! jittered exponential backoff between them (design §4.2).

use std::time::{Duration, Instant};

use rand::Rng;

use crate::error::Error;

/// How hard one operation (a read-modify-write, a read, a listing) tries before it gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBudget {
    /// Tries in all, the first one included.
    pub max_attempts: u32,
    /// Wall time for the whole operation, waits included: a wait that would end past it is not
    /// started.
    pub max_elapsed: Duration,
    /// The first backoff; each further one doubles, up to `max_backoff`, then a random part of
    /// it is taken (jitter), so that concurrent writers spread out.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

/// The default number of tries, the first included: the CLI's `--retry-attempts` default, the
/// library's, and what docs/usage.md and docs/google-api.md quote. 10 tries hold a policy with
/// 50 concurrent writers (`gcp::tests::fifty_concurrent_writers_all_land_with_the_default_budget`).
pub const DEFAULT_ATTEMPTS: u32 = 10;

/// The default time budget, waits included: `--retry-timeout`'s default, as the CLI spells it and
/// as a duration ([`DEFAULT_TIMEOUT`]); a test holds the two to each other.
pub const DEFAULT_TIMEOUT_FLAG: &str = "60s";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

impl Default for RetryBudget {
    /// [`DEFAULT_ATTEMPTS`] tries within [`DEFAULT_TIMEOUT`], backoff 250 ms doubling to 8 s:
    /// enough for a busy policy with a few dozen concurrent writers, short enough for an
    /// interactive command.
    fn default() -> Self {
        RetryBudget {
            max_attempts: DEFAULT_ATTEMPTS,
            max_elapsed: DEFAULT_TIMEOUT,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryBudget {
    /// The un-jittered backoff before try `attempt + 1` (attempt counts from 1).
    fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.initial_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// The longest one try may take: connecting, the credentials it needs (a token refresh, the
/// metadata server, impersonation), sending, and reading the whole answer. Within the budget, so a
/// shorter `--retry-timeout` shortens it. A `getIamPolicy` or `setIamPolicy` answers in well under
/// a second; 30 s lets a slow but living server finish while the default 60 s budget still leaves
/// room for a second try after a server that accepted the connection and went silent.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// One operation's use of its budget.
#[derive(Debug)]
pub(crate) struct Tracker {
    budget: RetryBudget,
    started: Instant,
    /// Tries made so far.
    pub attempts: u32,
    /// Of those, the ones answered 429 (over a quota): they cost the budget's time, not its
    /// tries, so that a run slowed by the quota is not failed by it while the time lasts (issue 22).
    pub throttled: u32,
}

/// What to do after a failed try.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    Wait(Duration),
    GiveUp,
}

impl Tracker {
    pub(crate) fn new(budget: RetryBudget) -> Self {
        Tracker { budget, started: Instant::now(), attempts: 0, throttled: 0 }
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub(crate) fn budget(&self) -> &RetryBudget {
        &self.budget
    }

    /// What is left of the budget's time.
    pub(crate) fn remaining(&self) -> Duration {
        self.budget.max_elapsed.saturating_sub(self.elapsed())
    }

    /// How long the next try may take: [`ATTEMPT_TIMEOUT`], or what is left of the budget.
    pub(crate) fn attempt_limit(&self) -> Duration {
        ATTEMPT_TIMEOUT.min(self.remaining())
    }

    /// Notes a try that failed with `error`: a 429 does not count against the tries.
    pub(crate) fn throttled(&mut self, error: &Error) -> &mut Self {
        if matches!(error, Error::Unavailable { status: 429, .. }) {
            self.throttled += 1;
        }
        self
    }

    /// After try number `self.attempts` failed with `error`: wait how long, or give up. Only
    /// conflicts, 429, 5xx and dropped connections are retried; `Retry-After` is a floor on the wait.
    pub(crate) fn next(&self, error: &Error) -> Next {
        let retry_after = match error {
            Error::Conflict { .. } | Error::Network { .. } => None,
            Error::Unavailable { retry_after, .. } => *retry_after,
            _ => return Next::GiveUp,
        };
        let counted = self.attempts.saturating_sub(self.throttled);
        if counted >= self.budget.max_attempts {
            return Next::GiveUp;
        }
        let ceiling = self.budget.ceiling(self.attempts);
        // "Equal jitter": half fixed, half random, so the wait never collapses to nothing.
        let half = ceiling / 2;
        let jitter =
            if half.is_zero() { Duration::ZERO } else { rand::rng().random_range(Duration::ZERO..=half) };
        let wait = (half + jitter).max(retry_after.unwrap_or_default());
        if self.elapsed() + wait > self.budget.max_elapsed {
            return Next::GiveUp;
        }
        Next::Wait(wait)
    }
}

/// The error to report once the budget is spent: the last one, saying how hard we tried.
pub(crate) fn exhausted(error: Error, tracker: &Tracker) -> Error {
    if !matches!(error, Error::Conflict { .. } | Error::Unavailable { .. } | Error::Network { .. }) {
        return error;
    }
    let asked = match &error {
        Error::Unavailable { retry_after: Some(d), .. } => format!("; Google asked to wait {}s", d.as_secs()),
        _ => String::new(),
    };
    // The tries counted against the budget, so that the figure and the budget beside it agree;
    // the 429s, which cost only time, are said apart.
    let counted = tracker.attempts.saturating_sub(tracker.throttled);
    let over_quota = match tracker.throttled {
        0 => String::new(),
        1 => ", not counting 1 answered 429".to_string(),
        n => format!(", not counting {n} answered 429"),
    };
    let tried = format!(
        " (gave up after {counted} {} in {:.1}s{over_quota}; budget {} tries, {}s{asked})",
        if counted == 1 { "try" } else { "tries" },
        tracker.elapsed().as_secs_f64(),
        tracker.budget.max_attempts,
        tracker.budget.max_elapsed.as_secs()
    );
    match error {
        Error::Conflict { resource, message } => Error::Conflict { resource, message: message + &tried },
        Error::Unavailable { resource, status, message, retry_after } => {
            Error::Unavailable { resource, status, message: message + &tried, retry_after }
        }
        Error::Network { resource, message } => Error::Network { resource, message: message + &tried },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict() -> Error {
        Error::Conflict { resource: "projects/p".into(), message: "etag".into() }
    }

    #[test]
    fn the_tries_reported_are_the_tries_the_budget_counts() {
        let mut t = Tracker::new(RetryBudget { max_attempts: 2, ..RetryBudget::default() });
        t.attempts = 3;
        t.throttled = 1;
        let e = Error::Unavailable {
            resource: "projects/p".into(),
            status: 503,
            message: "busy".into(),
            retry_after: None,
        };
        let text = exhausted(e, &t).to_string();
        assert!(text.contains("(gave up after 2 tries in "), "{text}");
        assert!(text.contains("s, not counting 1 answered 429; budget 2 tries, 60s)"), "{text}");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = RetryBudget {
            max_attempts: 100,
            max_elapsed: Duration::from_secs(3600),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        assert_eq!(b.ceiling(1), Duration::from_millis(100));
        assert_eq!(b.ceiling(2), Duration::from_millis(200));
        assert_eq!(b.ceiling(4), Duration::from_millis(800));
        assert_eq!(b.ceiling(5), Duration::from_secs(1));
        assert_eq!(b.ceiling(60), Duration::from_secs(1));
        let mut t = Tracker::new(b);
        t.attempts = 3;
        for _ in 0..50 {
            match t.next(&conflict()) {
                Next::Wait(w) => {
                    assert!(w >= Duration::from_millis(200) && w <= Duration::from_millis(400), "{w:?}")
                }
                Next::GiveUp => panic!("gave up"),
            }
        }
    }

    #[test]
    fn retry_after_is_a_floor_and_the_budget_a_ceiling() {
        let b = RetryBudget { max_elapsed: Duration::from_secs(10), ..RetryBudget::default() };
        let mut t = Tracker::new(b);
        t.attempts = 1;
        let busy = |secs| Error::Unavailable {
            resource: "projects/p".into(),
            status: 429,
            message: "slow down".into(),
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(t.next(&busy(3)), Next::Wait(Duration::from_secs(3)));
        assert_eq!(t.next(&busy(30)), Next::GiveUp, "a wait past the budget is not started");
        t.attempts = b.max_attempts;
        assert_eq!(t.next(&conflict()), Next::GiveUp);
    }

    #[test]
    fn the_default_budget_is_the_clis_default() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(["jit", "list"]).unwrap();
        assert_eq!(cli.global.retry_attempts, DEFAULT_ATTEMPTS);
        assert_eq!(cli.global.retry_timeout, DEFAULT_TIMEOUT_FLAG);
        let parsed = crate::timespec::parse_duration(DEFAULT_TIMEOUT_FLAG).unwrap();
        assert_eq!(parsed.to_std().unwrap(), DEFAULT_TIMEOUT);
        assert_eq!(RetryBudget::default().max_attempts, DEFAULT_ATTEMPTS);
        assert_eq!(RetryBudget::default().max_elapsed, DEFAULT_TIMEOUT);
    }

    #[test]
    fn other_errors_are_not_retried() {
        let t = Tracker::new(RetryBudget::default());
        assert_eq!(t.next(&Error::usage("x")), Next::GiveUp);
        let denied = Error::PermissionDenied { resource: "p".into(), message: "no".into(), permission: None };
        assert_eq!(t.next(&denied), Next::GiveUp);
    }

    #[test]
    fn the_final_error_says_how_hard_we_tried() {
        let mut t = Tracker::new(RetryBudget::default());
        t.attempts = 8;
        let e = exhausted(conflict(), &t);
        assert!(e.to_string().contains("gave up after 8 tries"), "{e}");
    }
}

//! A resolved `jit list` filter.

use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::cli;
use crate::edit::TimedBinding;
use crate::error::Error;
use crate::iam::{Principal, Role};
use crate::timespec;

/// A resolved `jit list` filter.
#[derive(Debug, Clone, Default)]
pub struct List {
    pub all: bool,
    pub members: Vec<String>,
    pub roles: Vec<String>,
    pub recursive: bool,
    pub via: cli::Via,
    /// `--at`: the instant whose holders are listed (only bindings active then).
    pub at: Option<DateTime<Utc>>,
}

/// How far in the past `--at` may be: a time typed as "now" a few seconds late.
const AT_PAST_TOLERANCE_SECONDS: i64 = 60;

/// `--at` in the past is refused (issue 19 item 8): a policy is today's. Its conditions say when
/// each binding it holds now gives access, not when the binding was written, nor anything of the
/// bindings removed since; a past instant would show today's grants as held that day and miss
/// the ones that were. What was held then is in the audit logs, which `jit history` reads.
fn refuse_the_past(text: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Error> {
    if at >= now - chrono::Duration::seconds(AT_PAST_TOLERANCE_SECONDS) {
        return Ok(());
    }
    let days = ((now - at).num_hours() + 23) / 24;
    let since = if days > crate::history::RETENTION_DAYS {
        format!("`jit history --since {}d` (audit logs keep no more)", crate::history::RETENTION_DAYS)
    } else {
        format!("`jit history --since {}d`", days.max(1))
    };
    Err(Error::usage_hint(
        format!(
            "`--at {}` is in the past: a policy says who holds access now and later, not who held it then",
            crate::output::escape(text.trim())
        ),
        format!(
            "{since} lists what was granted, extended, revoked and cleaned up since, from the audit logs"
        ),
    ))
}

impl List {
    /// `--all`, `--member` and `--role`: the same for a file and for the API.
    pub fn filter(&self, rows: Vec<TimedBinding>) -> Vec<TimedBinding> {
        rows.into_iter()
            .filter(|r| self.all || r.state != crate::condition::State::Expired)
            // At an instant, only those who hold access then (the state is computed at `at`).
            .filter(|r| self.at.is_none() || r.state == crate::condition::State::Active)
            .filter(|r| {
                self.members.is_empty() || self.members.iter().any(|m| crate::iam::same_member(m, &r.member))
            })
            .filter(|r| self.roles.is_empty() || self.roles.contains(&r.role))
            .collect()
    }

    pub fn resolve(args: &cli::ListArgs, now: DateTime<Utc>) -> Result<List, Error> {
        List::resolve_in(args, now, &chrono::Local)
    }

    pub fn resolve_in<Tz: chrono::TimeZone>(
        args: &cli::ListArgs,
        now: DateTime<Utc>,
        tz: &Tz,
    ) -> Result<List, Error> {
        // Filters match what is in policies, so members are normalised the way grant writes them
        // (a bare email becomes user: or serviceAccount:), but any well-formed member is allowed.
        let members = args
            .member
            .iter()
            .map(|m| {
                let m = m.trim();
                if crate::iam::Principal::is_well_formed(m) {
                    Ok(m.to_string())
                } else {
                    Principal::from_str(m).map(|p| p.to_string())
                }
            })
            .collect::<Result<_, _>>()?;
        for r in &args.role {
            if !Role::is_well_formed(r.trim()) {
                return Err(Error::usage_hint(format!("`{r}` is not a valid role"), "use roles/NAME"));
            }
        }
        let at = args.at.as_deref().map(|t| timespec::parse_time(t, now, tz)).transpose()?;
        if let (Some(t), Some(text)) = (at, args.at.as_deref()) {
            refuse_the_past(text, t, now)?;
        }
        Ok(List {
            all: args.all,
            members,
            roles: args.role.iter().map(|r| r.trim().to_string()).collect(),
            recursive: args.recursive,
            via: args.via,
            at,
        })
    }
}

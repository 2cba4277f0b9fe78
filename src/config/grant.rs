//! A resolved `jit grant`.

use std::str::FromStr;

use chrono::{DateTime, Duration, Local, Utc};

use crate::cli;
use crate::condition::GrantNote;
use crate::edit::GrantRequest;
use crate::error::Error;
use crate::iam::{Principal, Role};
use crate::timespec;

/// A resolved `jit grant`.
#[derive(Debug, Clone)]
pub struct Grant {
    pub roles: Vec<Role>,
    /// Empty: the caller.
    pub members: Vec<Principal>,
    pub start: Option<DateTime<Utc>>,
    pub end: DateTime<Utc>,
    pub replace: bool,
    pub reason: Option<String>,
    pub dry_run: bool,
    pub yes: bool,
    /// Roles to ask Google about before writing (issue 13): online, the roles jit's copy does not
    /// know and every custom role. Filled in by `commands::grant::resolve_checked`.
    pub ask_google: Vec<String>,
}

impl Grant {
    pub fn resolve(args: &cli::GrantArgs, now: DateTime<Utc>) -> Result<Grant, Error> {
        Grant::resolve_in(args, now, &Local)
    }

    pub fn resolve_in<Tz: chrono::TimeZone>(
        args: &cli::GrantArgs,
        now: DateTime<Utc>,
        tz: &Tz,
    ) -> Result<Grant, Error> {
        let roles = roles(&args.roles)?;
        let members = principals(&args.member)?;
        let max = match &args.max_duration {
            Some(m) => timespec::parse_duration(m)?,
            None => timespec::DEFAULT_MAX,
        };
        let start = args.start.as_deref().map(|s| timespec::parse_time(s, now, tz)).transpose()?;
        let end = match (&args.duration, &args.until) {
            (Some(d), _) => timespec::after(start.unwrap_or(now), timespec::parse_duration(d)?, d.trim())?,
            (None, Some(u)) => timespec::parse_time(u, now, tz)?,
            (None, None) => timespec::after(start.unwrap_or(now), Duration::hours(1), "1h")?,
        };
        let typed = timespec::Typed {
            duration: args.duration.as_deref().map(str::trim),
            max: args.max_duration.as_deref().map(str::trim),
        };
        let (start, end) = timespec::grant_window(start, end, now, max, Some(typed))?;
        Ok(Grant {
            roles,
            members,
            start,
            end,
            replace: args.replace,
            reason: args.reason.clone(),
            dry_run: args.dry_run,
            yes: args.yes,
            ask_google: Vec::new(),
        })
    }

    pub fn note(&self, granted_by: Option<&Principal>, now: DateTime<Utc>) -> GrantNote {
        GrantNote {
            granted_by: granted_by.map(|p| p.to_string()),
            granted_at: Some(now),
            reason: self.reason.clone(),
        }
    }

    /// The edit this grant asks of every policy, for `members` (the given ones, or the caller),
    /// noted as granted by `caller` at `now`: the same for a file and for the API.
    pub fn request(
        &self,
        members: &[Principal],
        caller: Option<&Principal>,
        now: DateTime<Utc>,
    ) -> GrantRequest {
        GrantRequest {
            roles: self.roles.clone(),
            members: members.to_vec(),
            start: self.start,
            end: self.end,
            replace: self.replace,
            note: self.note(caller, now),
        }
    }
}

fn roles(raw: &[String]) -> Result<Vec<Role>, Error> {
    raw.iter().map(|r| Role::from_str(r)).collect()
}

pub(super) fn principals(raw: &[String]) -> Result<Vec<Principal>, Error> {
    raw.iter().map(|m| Principal::from_str(m)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::{cli, now};

    fn grant(args: &[&str]) -> Result<Grant, Error> {
        let c = cli(&[&["grant"], args].concat());
        let cli::Command::Grant(g) = c.command else { unreachable!() };
        Grant::resolve_in(&g, now(), &chrono::FixedOffset::east_opt(3600).unwrap())
    }

    #[test]
    fn grant_windows() {
        let g = grant(&["roles/a.b", "--for", "2h"]).unwrap();
        assert_eq!(g.end, now() + Duration::hours(2));
        assert!(g.members.is_empty());
        let g = grant(&["roles/a.b", "--until", "18:00"]).unwrap();
        assert_eq!(g.end.to_rfc3339(), "2026-11-25T17:00:00+00:00", "local time, one hour east");
        let g = grant(&["roles/a.b", "--start", "2026-11-26T08:00:00Z", "--for", "1h"]).unwrap();
        assert_eq!(
            (g.start.unwrap().to_rfc3339(), g.end.to_rfc3339()),
            ("2026-11-26T08:00:00+00:00".into(), "2026-11-26T09:00:00+00:00".into())
        );
        let g = grant(&["roles/a.b"]).unwrap();
        assert_eq!(g.end, now() + Duration::hours(1), "one hour by default");
        let g = grant(&["roles/a.b", "--for", "13h", "--max-duration", "1d"]).unwrap();
        assert_eq!(g.end, now() + Duration::hours(13));
        // Each refusal is a usage error (exit 2) saying what is wrong.
        let refused: &[(&[&str], &str)] = &[
            (&["roles/a.b", "--for", "13h"], "`13h` is longer than the maximum of 12h"),
            (
                &["roles/a.b", "--until", "2026-11-25T11:00:00Z"],
                "the end `2026-11-25T11:00:00Z` is in the past",
            ),
            (&["roles/owner"], "role `roles/owner` cannot be granted with a condition"),
            (&["roles/a.b", "--member", "allUsers"], "`allUsers` cannot be granted access with a condition"),
        ];
        let mut wrong = Vec::new();
        for (args, want) in refused {
            match grant(args) {
                Err(e) if e.to_string() == *want && e.exit_code() == 2 => {}
                other => wrong.push(format!("{args:?}: {other:?}")),
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }
}

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

//! A resolved `jit grant`.

use std::str::FromStr;

use chrono::{DateTime, Duration, Local, Utc};

use super::origin::{Origin, Origins};
use super::{Env, TeamFile};
use crate::cli;
use crate::condition::GrantNote;
use crate::edit::GrantRequest;
use crate::error::Error;
use crate::iam::{Principal, Role};
use crate::team::Bundle;
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
    /// Where the roles, the length and the maximum came from, for `--verbose`.
    pub origins: Origins,
    /// jit's maximum and where it came from, for the check on the written window (issue 17
    /// item 1).
    pub max: (Duration, String),
}

/// What besides the command line decides a grant: the environment (`JIT_MAX_DURATION`), the
/// team file and the bundle named (`@NAME`), and what the picker asked on the terminal. Each
/// setting is taken from the first of: a flag, the environment, the picker, the team file, jit's
/// default.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrantFrom<'a> {
    pub env: Option<&'a Env>,
    pub team: Option<&'a TeamFile>,
    pub bundle: Option<&'a Bundle>,
    pub picked: Option<&'a Picked>,
}

/// What the role picker of `jit grant` asked on a terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub role: String,
    /// Asked only when neither --for nor --until was given.
    pub duration: Option<String>,
}

/// How long a grant (or a delegation) lasts, as typed: `--for`, or `--until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Length {
    For(String),
    Until(String),
}

impl Length {
    /// The end of a window that begins at `from`.
    pub fn end<Tz: chrono::TimeZone>(
        &self,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
        tz: &Tz,
    ) -> Result<DateTime<Utc>, Error> {
        match self {
            Length::For(d) => timespec::after(from, timespec::parse_duration(d)?, d.trim()),
            Length::Until(u) => timespec::parse_time(u, now, tz),
        }
    }

    /// `--for` or `--until` as given, if either is.
    pub fn given(duration: Option<&String>, until: Option<&String>) -> Option<(Length, Origin)> {
        match (duration, until) {
            (Some(d), _) => Some((Length::For(d.clone()), Origin::Flag("--for"))),
            (None, Some(u)) => Some((Length::Until(u.clone()), Origin::Flag("--until"))),
            (None, None) => None,
        }
    }
}

/// jit's default length of a grant.
pub const DEFAULT_LENGTH: &str = "1h";

impl<'a> GrantFrom<'a> {
    /// The roles asked for: a bundle's, else the one picked, else the command line's.
    pub fn role_names(&self, args: &cli::GrantArgs) -> Vec<String> {
        match (self.bundle, self.picked) {
            (Some(b), _) => b.roles.clone(),
            (None, Some(p)) => vec![p.role.clone()],
            (None, None) => args.roles.clone(),
        }
    }

    /// The length: --for or --until, else the picker's answer, else the team file's
    /// `default_duration`, else one hour.
    pub fn length(&self, args: &cli::GrantArgs) -> (Length, Origin) {
        if let Some(given) = Length::given(args.duration.as_ref(), args.until.as_ref()) {
            return given;
        }
        if let Some(d) = self.picked.and_then(|p| p.duration.clone()) {
            return (Length::For(d), Origin::Picker);
        }
        if let Some(f) = self.team
            && let Some(d) = &f.team.default_duration
        {
            return (
                Length::For(d.clone()),
                Origin::Team { file: f.team.path.clone(), key: "default_duration".into() },
            );
        }
        (Length::For(DEFAULT_LENGTH.to_string()), Origin::Default)
    }

    /// jit's maximum: --max-duration, else JIT_MAX_DURATION, else the team file's `max_duration`
    /// when it is above jit's default (one below is the team's own check, `Team::check_grant`,
    /// whose message names the file and the key), else 12h. With the text to echo in messages.
    pub fn max(&self, args: &cli::GrantArgs) -> Result<(Duration, Option<String>, Origin), Error> {
        let typed =
            |text: &str, origin| Ok((timespec::parse_duration(text)?, Some(text.trim().to_string()), origin));
        if let Some(m) = &args.max_duration {
            return typed(m, Origin::Flag("--max-duration"));
        }
        if let Some(m) = self.env.and_then(|e| e.get(MAX_DURATION_VAR)) {
            return typed(&m, Origin::Env(MAX_DURATION_VAR));
        }
        if let Some(f) = self.team
            && let Some(max) = f.team.max_duration
            && max > timespec::DEFAULT_MAX
        {
            let origin = Origin::Team { file: f.team.path.clone(), key: "max_duration".into() };
            return Ok((max, Some(timespec::words(max)), origin));
        }
        Ok((timespec::DEFAULT_MAX, None, Origin::Default))
    }
}

/// A `--reason` as written into a condition's description: refused when it holds a control
/// character (a newline, an escape, a bidi override: `output::is_terminal_control`), so that a
/// team's `require_reason` cannot be met by an invisible character and nothing in the
/// description can redraw a terminal (issue 17 item 7).
pub fn reason(text: &str) -> Result<String, Error> {
    match text.chars().find(|&c| crate::output::is_terminal_control(c)) {
        Some(c) => Err(Error::usage_hint(
            format!(
                "the reason `{}` holds a control character (U+{:04X})",
                crate::output::escape(text),
                u32::from(c)
            ),
            "write the reason as plain text on one line, e.g. --reason INC-42",
        )),
        None => Ok(text.to_string()),
    }
}

/// The environment variable that sets jit's maximum, below `--max-duration`.
pub const MAX_DURATION_VAR: &str = "JIT_MAX_DURATION";

impl Grant {
    pub fn resolve(args: &cli::GrantArgs, from: GrantFrom, now: DateTime<Utc>) -> Result<Grant, Error> {
        Grant::resolve_in(args, from, now, &Local)
    }

    pub fn resolve_in<Tz: chrono::TimeZone>(
        args: &cli::GrantArgs,
        from: GrantFrom,
        now: DateTime<Utc>,
        tz: &Tz,
    ) -> Result<Grant, Error> {
        let mut origins = Origins::default();
        let role_names = from.role_names(args);
        let roles = roles(&role_names)?;
        let roles_origin = match (from.bundle, from.picked, from.team) {
            (Some(b), _, Some(f)) => {
                Origin::Team { file: f.team.path.clone(), key: format!("bundles.{}", b.name) }
            }
            (None, Some(_), _) => Origin::Picker,
            _ => Origin::Flag("ROLE"),
        };
        origins.push("roles", role_names.join(", "), roles_origin);
        let members = principals(&args.member)?;
        let (max, max_text, max_origin) = from.max(args)?;
        let max_source = max_origin.to_string();
        origins.push("maximum", timespec::words(max), max_origin);
        let start = args.start.as_deref().map(|s| timespec::parse_time(s, now, tz)).transpose()?;
        let (length, length_origin) = from.length(args);
        let end = length.end(start.unwrap_or(now), now, tz)?;
        let typed = timespec::Typed {
            duration: match &length {
                Length::For(d) => Some(d.trim()),
                Length::Until(_) => None,
            },
            max: max_text.as_deref(),
        };
        origins.push(
            "length",
            match &length {
                Length::For(d) => d.trim().to_string(),
                Length::Until(u) => format!("until {}", u.trim()),
            },
            length_origin,
        );
        let (start, end) = timespec::grant_window(start, end, now, max, Some(typed))?;
        let reason = args.reason.as_deref().map(reason).transpose()?;
        Ok(Grant {
            roles,
            members,
            start,
            end,
            replace: args.replace,
            reason,
            dry_run: args.dry_run,
            yes: args.yes,
            ask_google: Vec::new(),
            origins,
            max: (max, max_source),
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
            maximum: crate::edit::Maximum::default(),
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
        Grant::resolve_in(&g, GrantFrom::default(), now(), &chrono::FixedOffset::east_opt(3600).unwrap())
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

    /// Issue 17 item 7: a reason holding a control character is refused before anything is sent,
    /// so an invisible character cannot meet `require_reason`.
    #[test]
    fn a_reason_with_control_characters_is_refused() {
        for bad in ["\u{7}", "INC-1\nsecond line", "\u{202E}1-CNI", "\u{1b}[2J"] {
            let e = grant(&["roles/a.b", "--reason", bad]).unwrap_err();
            assert!(e.to_string().starts_with("the reason `"), "{e}");
            assert!(e.to_string().contains("holds a control character (U+"), "{e}");
            assert!(!e.to_string().chars().any(crate::output::is_terminal_control), "{e:?}");
            assert_eq!(e.exit_code(), 2);
        }
        assert_eq!(
            grant(&["roles/a.b", "--reason", "INC-42 café"]).unwrap().reason.as_deref(),
            Some("INC-42 café")
        );
    }
}

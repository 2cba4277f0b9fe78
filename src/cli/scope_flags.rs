//! The scope flags, one per resource kind, made from the kinds' definitions (src/kinds/): each
//! row's flag, value name and help. A new kind gets its flag from its row.

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use crate::kinds::{Kind, ROWS, Row};

/// What the scope flags were given, per kind, as typed (`config::scopes` reads them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeFlags {
    given: Vec<(Kind, Vec<String>)>,
}

impl ScopeFlags {
    /// The values of `kind`'s flag, in the order given.
    pub fn of(&self, kind: Kind) -> &[String] {
        self.given.iter().find(|(k, _)| *k == kind).map_or(&[], |(_, v)| v.as_slice())
    }

    /// True when no scope flag is given.
    pub fn is_empty(&self) -> bool {
        self.given.iter().all(|(_, v)| v.is_empty())
    }

    /// The same flags with `value` added to `kind`'s, as if it had been typed last (a PAM
    /// command's scope word; resolved on a copy, never on the parsed flags).
    pub fn with(mut self, kind: Kind, value: String) -> ScopeFlags {
        match self.given.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, values)) => values.push(value),
            None => self.given.push((kind, vec![value])),
        }
        self
    }
}

/// The flag's long name: `--service-account` → `service-account`.
fn long(row: &'static Row) -> &'static str {
    row.flag.trim_start_matches('-')
}

impl Args for ScopeFlags {
    fn augment_args(cmd: Command) -> Command {
        ROWS.iter().fold(cmd, |cmd, row| {
            cmd.arg(
                Arg::new(row.arg_id)
                    .long(long(row))
                    .global(true)
                    .value_name(row.value_name)
                    .help(row.help)
                    .action(ArgAction::Append)
                    .value_parser(clap::value_parser!(String)),
            )
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        ScopeFlags::augment_args(cmd)
    }
}

impl FromArgMatches for ScopeFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = ScopeFlags::default();
        flags.update_from_arg_matches(matches)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for row in &ROWS {
            let Ok(Some(values)) = matches.try_get_many::<String>(row.arg_id) else { continue };
            let values: Vec<String> = values.cloned().collect();
            match self.given.iter_mut().find(|(k, _)| *k == row.kind) {
                Some((_, old)) => *old = values,
                None => self.given.push((row.kind, values)),
            }
        }
        Ok(())
    }
}

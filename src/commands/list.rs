//! `jit list`.

use crate::condition::State;
use crate::config::{self, Config, Target};
use crate::edit::{self, TimedBinding};
use crate::error::{Error, exit};
use crate::output;

use super::offline;

pub fn run(config: &Config, l: &config::List) -> Result<i32, Error> {
    match &config.target {
        Target::File { path, .. } => {
            let policy = offline::read(path)?;
            let resource = offline::resource_label(config, path);
            let rows = filter(edit::timed_bindings(&resource, &policy, config.now)?, l);
            super::to_stdout(config, |w| output::list(&rows, config.format, config.now, w))?;
            Ok(exit::OK)
        }
        Target::Api(conn) => super::api::list(config, conn, l),
    }
}

/// `--all`, `--member` and `--role`.
pub(crate) fn filter(rows: Vec<TimedBinding>, l: &config::List) -> Vec<TimedBinding> {
    rows.into_iter()
        .filter(|r| l.all || r.state != State::Expired)
        .filter(|r| l.members.is_empty() || l.members.iter().any(|m| crate::iam::same_member(m, &r.member)))
        .filter(|r| l.roles.is_empty() || l.roles.contains(&r.role))
        .collect()
}

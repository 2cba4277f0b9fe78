//! `jit list`.

use crate::config::{self, Config, Target};
use crate::edit;
use crate::error::{Error, exit};
use crate::output;

use super::offline;

pub fn run(config: &Config, l: &config::List) -> Result<i32, Error> {
    match &config.target {
        Target::File { path, .. } => {
            let policy = offline::read(path)?;
            let resource = offline::resource_label(config, path);
            let rows = l.filter(edit::timed_bindings(&resource, &policy, config.now)?);
            super::to_stdout(config, |w| output::list(&rows, config.format, config.now, w))?;
            Ok(exit::OK)
        }
        Target::Api(conn) => super::api::list(config, conn, l),
    }
}

//! `jit cleanup`.

use crate::config::{self, Config, Target};
use crate::edit;
use crate::error::{Error, exit};
use crate::output::{self, RemovalOutput};

use super::offline;

pub fn run(config: &Config, c: &config::Cleanup) -> Result<i32, Error> {
    // A grace reaching back past any time a condition can hold is refused before anything is read
    // (issue 8 defect 5: it panicked).
    crate::timespec::cutoff(config.now, c.grace)?;
    match &config.target {
        Target::File { path, in_place } => {
            if c.recursive {
                return Err(Error::usage_hint(
                    "--recursive walks folders through the API and cannot work on a policy file",
                    "drop --policy-file and name --folder or --organization",
                ));
            }
            let policy = offline::read(path)?;
            let resource = offline::resource_label(config, path);
            let (new, removed) = edit::cleanup(&resource, &policy, config.now, c.grace, c.only_jit)?;
            let changed = !removed.is_empty();
            let out = RemovalOutput { removed, resources: 1, errors: Vec::new(), dry_run: c.dry_run };
            offline::finish(config, path, *in_place, c.dry_run, &new, changed, |w, format| {
                output::removal(&out, format, w)
            })?;
            Ok(exit::OK)
        }
        Target::Api(conn) => super::api::cleanup(config, conn, c),
    }
}

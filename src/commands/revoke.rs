//! `jit revoke`.

use crate::config::{self, Config, Target};
use crate::edit::{self, Members};
use crate::error::{Error, exit};
use crate::output::{self, RemovalOutput};

use super::offline;

pub fn run(config: &Config, r: &config::Revoke) -> Result<i32, Error> {
    match &config.target {
        Target::File { path, in_place } => {
            if r.members == Members::Only(Vec::new()) {
                return Err(Error::usage_hint(
                    "--member or --all-members is required with --policy-file",
                    "offline, jit has no credentials to tell who you are",
                ));
            }
            let policy = offline::read(path)?;
            let resource = offline::resource_label(config, path);
            let (new, removed) = edit::revoke(&resource, &policy, &r.roles, &r.members, config.now)?;
            let changed = !removed.is_empty();
            let out = RemovalOutput { removed, resources: 1, errors: Vec::new(), dry_run: r.dry_run };
            offline::finish(config, path, *in_place, r.dry_run, &new, changed, |w, format| {
                output::removal(&out, format, w)
            })?;
            Ok(exit::OK)
        }
        Target::Api(conn) => super::api::revoke(config, conn, r),
    }
}

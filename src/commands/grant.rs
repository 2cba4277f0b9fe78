//! `jit grant`.

use crate::config::{self, Config, Target};
use crate::edit;
use crate::error::{Error, exit};
use crate::gcp::kinds;
use crate::output::{self, GrantOutput};

use super::offline;

pub fn run(config: &Config, g: &config::Grant) -> Result<i32, Error> {
    // jit's grants are conditional: a kind that refuses conditions (src/gcp/kinds.rs) is refused
    // before anything is read or sent, offline too (the file is that resource's policy).
    if let Some(r) =
        config.scopes.iter().find(|r| kinds::row(r.kind).conditions == kinds::Conditions::Refused)
    {
        return Err(crate::gcp::refused_conditions(r));
    }
    match &config.target {
        Target::File { path, in_place } => {
            if g.members.is_empty() {
                return Err(Error::usage_hint(
                    "--member is required with --policy-file",
                    "offline, jit has no credentials to tell who you are",
                ));
            }
            let policy = offline::read(path)?;
            let resource = offline::resource_label(config, path);
            let (new, report) =
                edit::grant(&resource, &policy, &g.request(&g.members, None, config.now), config.now)?;
            let changed = report.changed();
            let out = GrantOutput { report, errors: Vec::new(), dry_run: g.dry_run };
            offline::finish(config, path, *in_place, g.dry_run, &new, changed, |w, format| {
                output::grant(&out, format, config.now, w)
            })?;
            Ok(exit::OK)
        }
        Target::Api(conn) => super::api::grant(config, conn, g),
    }
}

//! Finding and reading the team's config file (src/team.rs parses and applies it): `--config
//! FILE`, `JIT_CONFIG`, a `jit.toml` in the current directory or above it, or
//! `$XDG_CONFIG_HOME/jit/config.toml`, in that order.

use std::path::{Path, PathBuf};

use super::origin::Origin;
use super::{Env, Vars};
use crate::error::Error;
use crate::team::{self, FILE_NAME, Team};

/// The team file of a run, and how it was found.
#[derive(Debug, Clone)]
pub struct TeamFile {
    pub team: Team,
    pub origin: Origin,
}

/// Where the team config is, if anywhere, and how it was found: `flag` (--config), then
/// `JIT_CONFIG`, then `jit.toml` in `cwd` or a parent, then `$XDG_CONFIG_HOME/jit/config.toml`
/// (`~/.config` when unset, as the XDG base directory specification says). A file named by the
/// flag or the variable must exist; the others are used only when they do.
pub fn locate(
    flag: Option<&Path>,
    vars: &Vars,
    cwd: Option<&Path>,
) -> Result<Option<(PathBuf, Origin)>, Error> {
    let named = flag
        .map(|f| (f.to_path_buf(), Origin::Flag("--config")))
        .or_else(|| vars.get("JIT_CONFIG").map(|v| (PathBuf::from(v), Origin::Env("JIT_CONFIG"))));
    if let Some((path, origin)) = named {
        if !path.is_file() {
            let from = if flag.is_some() { "--config" } else { "JIT_CONFIG" };
            return Err(Error::usage(format!(
                "the config file `{}` ({from}) does not exist",
                path.display()
            )));
        }
        return Ok(Some((path, origin)));
    }
    if let Some(cwd) = cwd {
        for dir in cwd.ancestors() {
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                return Ok(Some((
                    candidate,
                    Origin::Found("the search for jit.toml from the current directory up"),
                )));
            }
        }
    }
    let base = vars
        .get("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| vars.raw("HOME").filter(|v| !v.is_empty()).map(|h| Path::new(&h).join(".config")));
    Ok(base
        .map(|b| b.join("jit").join("config.toml"))
        .filter(|p| p.is_file())
        .map(|p| (p, Origin::Found("$XDG_CONFIG_HOME/jit/config.toml"))))
}

/// Reads and checks the file at `path`.
pub fn read(path: &Path) -> Result<Team, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("cannot read the config file `{}`: {e}", path.display())))?;
    team::parse(&text, path)
}

/// The team file for this run, if there is one ([`locate`] says where it is looked for). A broken
/// file stops every command that reads it, with its line and column.
pub fn load(flag: Option<&Path>, env: &Env) -> Result<Option<TeamFile>, Error> {
    let Some((path, origin)) = locate(flag, &env.vars, env.cwd.as_deref())? else { return Ok(None) };
    Ok(Some(TeamFile { team: read(&path)?, origin }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        let xdg = dir.path().join("xdg");
        std::fs::create_dir_all(xdg.join("jit")).unwrap();
        std::fs::write(xdg.join("jit/config.toml"), "").unwrap();
        let xdg_s = xdg.to_str().unwrap().to_string();
        let vars = |jit_config: Option<String>| {
            let mut pairs = vec![("XDG_CONFIG_HOME".to_string(), xdg_s.clone())];
            pairs.extend(jit_config.map(|j| ("JIT_CONFIG".to_string(), j)));
            Vars::from_pairs(pairs)
        };
        let locate = |flag, vars: &Vars, cwd| locate(flag, vars, cwd).map(|found| found.map(|(p, _)| p));
        let none = vars(None);
        assert_eq!(locate(None, &none, Some(&deep)).unwrap(), Some(xdg.join("jit/config.toml")));
        std::fs::write(dir.path().join("a/jit.toml"), "").unwrap();
        assert_eq!(locate(None, &none, Some(&deep)).unwrap(), Some(dir.path().join("a/jit.toml")));
        let named = dir.path().join("named.toml");
        std::fs::write(&named, "").unwrap();
        let env = vars(Some(named.to_str().unwrap().into()));
        assert_eq!(locate(None, &env, Some(&deep)).unwrap(), Some(named.clone()));
        let flag = dir.path().join("flag.toml");
        std::fs::write(&flag, "").unwrap();
        assert_eq!(locate(Some(&flag), &env, Some(&deep)).unwrap(), Some(flag.clone()));
        let missing = dir.path().join("missing.toml");
        let e = locate(Some(&missing), &env, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("the config file `{}` (--config) does not exist", missing.display())
        );
    }
}

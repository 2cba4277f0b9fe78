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

/// The most jit reads of a team file. The example is 400 bytes and a large team's file a
/// few kilobytes; 1 MiB refuses a sparse 2 GiB file (or `/dev/zero`) before it costs memory and
/// time on every command, as the token file's bound does (src/gcp/auth.rs).
pub const MAX_BYTES: u64 = 1024 * 1024;

/// Where the team config is, if anywhere, and how it was found: `flag` (--config), then
/// `JIT_CONFIG`, then `jit.toml` in `cwd` or a parent, then `$XDG_CONFIG_HOME/jit/config.toml`
/// (`~/.config` when unset, as the XDG base directory specification says). A file named by the
/// flag or the variable must exist; the others are used only when they do.
///
/// The upward search (issue 17 item 2) looks at `cwd` and its parents up to the first that holds
/// `.git` (the repository's root) or is `$HOME`, and no further; when neither is above `cwd`, it
/// looks at `cwd` only. A `jit.toml` found by the search or the XDG default that is not owned by
/// the user or by root, or that others may write, is skipped with a warning (as git's
/// `safe.directory` does): anyone who can write it could otherwise set the scopes and limits of
/// every command run below it. `warn` gets those warnings.
pub fn locate(
    flag: Option<&Path>,
    vars: &Vars,
    cwd: Option<&Path>,
    warn: &mut dyn FnMut(String),
) -> Result<Option<(PathBuf, Origin)>, Error> {
    let named = flag
        .map(|f| (f.to_path_buf(), Origin::Flag("--config")))
        .or_else(|| vars.get("JIT_CONFIG").map(|v| (PathBuf::from(v), Origin::Env("JIT_CONFIG"))));
    if let Some((path, origin)) = named {
        let from = if flag.is_some() { "--config" } else { "JIT_CONFIG" };
        match std::fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::usage(format!(
                    "the config file `{}` ({from}) does not exist",
                    shown(&path)
                )));
            }
            Err(e) => {
                return Err(Error::usage(format!(
                    "cannot read the config file `{}` ({from}): {e}",
                    shown(&path)
                )));
            }
            Ok(m) => {
                if let Some(what) = not_a_file(&m) {
                    return Err(Error::usage(format!(
                        "the config file `{}` ({from}) is {what}, not a file",
                        shown(&path)
                    )));
                }
            }
        }
        return Ok(Some((path, origin)));
    }
    let home = vars.os("HOME").map(PathBuf::from);
    if let Some(cwd) = cwd {
        let bounded = cwd.ancestors().any(|d| is_root(d, home.as_deref()));
        for dir in cwd.ancestors() {
            let candidate = dir.join(FILE_NAME);
            if let Ok(m) = std::fs::metadata(&candidate) {
                match not_a_file(&m).map(str::to_string).or_else(|| unsafe_file(&m)) {
                    None => {
                        return Ok(Some((
                            candidate,
                            Origin::Found("the search for jit.toml from the current directory up"),
                        )));
                    }
                    Some(why) => {
                        warn(format!("ignoring the team config `{}`: it is {why}", shown(&candidate)))
                    }
                }
            }
            if !bounded || is_root(dir, home.as_deref()) {
                break;
            }
        }
    }
    let base = vars
        .get("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| vars.raw("HOME").filter(|v| !v.is_empty()).map(|h| Path::new(&h).join(".config")));
    let Some(path) = base.map(|b| b.join("jit").join("config.toml")) else { return Ok(None) };
    let Ok(m) = std::fs::metadata(&path) else { return Ok(None) };
    match not_a_file(&m).map(str::to_string).or_else(|| unsafe_file(&m)) {
        None => Ok(Some((path, Origin::Found("$XDG_CONFIG_HOME/jit/config.toml")))),
        Some(why) => {
            warn(format!("ignoring the team config `{}`: it is {why}", shown(&path)));
            Ok(None)
        }
    }
}

/// Where the upward search ends: a repository's root, or the home directory.
fn is_root(dir: &Path, home: Option<&Path>) -> bool {
    dir.join(".git").exists() || home.is_some_and(|h| h == dir)
}

fn shown(path: &Path) -> String {
    crate::output::escape(&path.display().to_string()).into_owned()
}

/// What a path that is not a regular file is, in words.
fn not_a_file(m: &std::fs::Metadata) -> Option<&'static str> {
    let t = m.file_type();
    if t.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some(if t.is_dir() { "a directory" } else { "not a regular file" })
}

/// Why a found file is not to be trusted: owned by someone other than the user or root, or
/// writable by others (git's `safe.directory` rule, applied to the file).
fn unsafe_file(m: &std::fs::Metadata) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid(2) cannot fail and touches no memory.
        let me = unsafe { libc::geteuid() };
        if m.uid() != me && m.uid() != 0 {
            return Some(format!("owned by uid {}, neither you (uid {me}) nor root", m.uid()));
        }
        if m.mode() & 0o002 != 0 {
            return Some("writable by others".to_string());
        }
    }
    #[cfg(not(unix))]
    let _ = m;
    None
}

/// Reads and checks the file at `path`: a regular file of at most [`MAX_BYTES`], opened without
/// blocking (a FIFO put in its place after the search does not hang jit).
pub fn read(path: &Path) -> Result<Team, Error> {
    use std::io::Read;
    let cannot = |e: &dyn std::fmt::Display| {
        Error::usage(format!("cannot read the config file `{}`: {e}", shown(path)))
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| cannot(&e))?;
    let m = file.metadata().map_err(|e| cannot(&e))?;
    if let Some(what) = not_a_file(&m) {
        return Err(Error::usage(format!("the config file `{}` is {what}, not a file", shown(path))));
    }
    if m.len() > MAX_BYTES {
        return Err(too_large(path));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes).map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large(path));
    }
    let text = String::from_utf8(bytes).map_err(|_| cannot(&"it is not UTF-8 text"))?;
    team::parse(&text, path)
}

fn too_large(path: &Path) -> Error {
    Error::usage_hint(
        format!("the config file `{}` is larger than 1 MiB, the most jit reads", shown(path)),
        "a team config is a few kilobytes; check that the path names the right file",
    )
}

/// The team file for this run, if there is one ([`locate`] says where it is looked for). A broken
/// file stops every command that reads it, with its line and column.
pub fn load(flag: Option<&Path>, env: &Env) -> Result<Option<TeamFile>, Error> {
    let mut warn = |line: String| eprintln!("warning: {line}");
    let Some((path, origin)) = locate(flag, &env.vars, env.cwd.as_deref(), &mut warn)? else {
        return Ok(None);
    };
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
        let locate = |flag, vars: &Vars, cwd| {
            locate(flag, vars, cwd, &mut |w| panic!("{w}")).map(|found| found.map(|(p, _)| p))
        };
        let none = vars(None);
        assert_eq!(locate(None, &none, Some(&deep)).unwrap(), Some(xdg.join("jit/config.toml")));
        std::fs::write(dir.path().join("a/jit.toml"), "").unwrap();
        // Issue 17 item 2: the search goes up only inside a repository (or the home directory).
        assert_eq!(locate(None, &none, Some(&deep)).unwrap(), Some(xdg.join("jit/config.toml")));
        std::fs::create_dir(dir.path().join(".git")).unwrap();
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

    fn found(vars: &Vars, cwd: &Path) -> (Option<PathBuf>, Vec<String>) {
        let mut warnings = Vec::new();
        let found = locate(None, vars, Some(cwd), &mut |w| warnings.push(w)).unwrap().map(|(p, _)| p);
        (found, warnings)
    }

    /// Issue 17 item 2: the upward search ends at the repository's root (a directory holding
    /// `.git`) or at $HOME; with neither above the current directory, only that directory is
    /// looked at. A jit.toml in /tmp, or above the repository, changes nothing.
    #[test]
    fn the_search_stops_at_the_repository_root_or_home() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let deep = repo.join("service/deploy");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(dir.path().join("jit.toml"), "").unwrap();
        let none = Vars::from_pairs([("XDG_CONFIG_HOME", "/nonexistent")]);
        // No repository, no home above: the parents' files are not read.
        assert_eq!(found(&none, &deep), (None, vec![]));
        // The repository's root bounds the search: the file above it is not read.
        std::fs::create_dir(repo.join(".git")).unwrap();
        assert_eq!(found(&none, &deep), (None, vec![]));
        std::fs::write(repo.join("jit.toml"), "").unwrap();
        assert_eq!(found(&none, &deep).0, Some(repo.join("jit.toml")));
        // $HOME bounds it too (here the home is above the repository, which bounds first).
        std::fs::remove_file(repo.join("jit.toml")).unwrap();
        std::fs::remove_dir(repo.join(".git")).unwrap();
        let home = Vars::from_pairs([("XDG_CONFIG_HOME", "/nonexistent"), ("HOME", repo.to_str().unwrap())]);
        assert_eq!(found(&home, &deep), (None, vec![]));
        let home =
            Vars::from_pairs([("XDG_CONFIG_HOME", "/nonexistent"), ("HOME", dir.path().to_str().unwrap())]);
        assert_eq!(found(&home, &deep).0, Some(dir.path().join("jit.toml")));
    }

    /// Issue 17 item 2: a found file that others may write is skipped with a warning, as git's
    /// safe.directory skips a repository owned by someone else.
    #[cfg(unix)]
    #[test]
    fn a_file_others_may_write_is_skipped_with_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let file = dir.path().join("jit.toml");
        std::fs::write(&file, "").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        let none = Vars::from_pairs([("XDG_CONFIG_HOME", "/nonexistent")]);
        let (path, warnings) = found(&none, dir.path());
        assert_eq!(path, None);
        assert_eq!(
            warnings,
            [format!("ignoring the team config `{}`: it is writable by others", file.display())]
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(found(&none, dir.path()), (Some(file), vec![]));
        // Another owner: root's files are trusted, and a file of another user is not (the uid
        // check itself, as no test can give a file away without privileges).
        let m = std::fs::metadata("/").unwrap();
        assert_eq!(unsafe_file(&m), None, "root's own");
    }

    /// Issue 17 item 2: a directory, a FIFO or a device is named as such, and a file over 1 MiB
    /// is refused without being read (a sparse 2 GiB file cost 4.2 GB and 18 s).
    #[cfg(unix)]
    #[test]
    fn a_directory_fifo_device_or_huge_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let none = Vars::default();
        let named = |p: &Path| locate(Some(p), &none, None, &mut |w| panic!("{w}")).unwrap_err().to_string();
        assert_eq!(
            named(dir.path()),
            format!("the config file `{}` (--config) is a directory, not a file", dir.path().display())
        );
        assert_eq!(
            named(Path::new("/dev/null")),
            "the config file `/dev/null` (--config) is a device, not a file"
        );
        let fifo = dir.path().join("fifo.toml");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(
            named(&fifo),
            format!("the config file `{}` (--config) is a FIFO, not a file", fifo.display())
        );
        // read() opens without blocking: a FIFO in place of the file is named, not waited on.
        assert_eq!(
            read(&fifo).unwrap_err().to_string(),
            format!("the config file `{}` is a FIFO, not a file", fifo.display())
        );
        let huge = dir.path().join("huge.toml");
        std::fs::File::create(&huge).unwrap().set_len(2 << 30).unwrap();
        let e = read(&huge).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("the config file `{}` is larger than 1 MiB, the most jit reads", huge.display())
        );
        assert_eq!(e.exit_code(), 2);
        // A file of exactly the bound is read (and parsed: here, a comment).
        let edge = dir.path().join("edge.toml");
        std::fs::write(&edge, format!("#{}", "x".repeat(MAX_BYTES as usize - 1))).unwrap();
        assert!(read(&edge).is_ok());
    }
}

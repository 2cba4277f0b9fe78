//! `--policy-file`: reading, parsing and writing a saved policy, with no network and no
//! credentials (design §2). The commands reach it through `target`, as they reach the API.

use std::io::{Read, Write};
use std::path::Path;

use crate::config::Config;
use crate::error::Error;
use crate::policy::Policy;

/// The most jit reads from a policy file or stdin. Google's limits bound a policy: at most 1,500
/// principals, so at most 1,500 bindings, each with a condition of at most 12,800 characters
/// of expression, 100 of title and 256 of description
/// (<https://cloud.google.com/iam/docs/policies#limits>,
/// <https://cloud.google.com/iam/docs/conditions-overview#limitations>). That is about 21 MB of
/// text at one byte a character; 64 MiB leaves room for JSON escapes, multi-byte characters and
/// YAML indentation, and still ends a read of `/dev/zero` or a wrong file in well under a second.
pub const MAX_POLICY_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a policy as gcloud prints it: JSON (`--format=json`) or gcloud's default YAML.
pub fn read(path: &str) -> Result<Policy, Error> {
    let hint = "save one with `gcloud projects get-iam-policy PROJECT --format=json > FILE`";
    let (name, text) = if path == "-" {
        let text = read_capped(std::io::stdin().lock())
            .map_err(|e| Error::usage(format!("cannot read the policy from stdin: {e}")))?;
        ("stdin".to_string(), text)
    } else {
        let text = std::fs::File::open(path).and_then(read_capped).map_err(|e| {
            Error::usage_hint(format!("cannot read the policy file `{path}`: {}", io_reason(&e)), hint)
        })?;
        (format!("`{path}`"), text)
    };
    parse(&name, &text)
}

/// Reads at most [`MAX_POLICY_BYTES`] (an endless source like `/dev/zero` is cut off) as UTF-8.
fn read_capped(from: impl Read) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    from.take(MAX_POLICY_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("it is larger than {} MiB, more than any IAM policy can be", MAX_POLICY_BYTES >> 20),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Parses a policy read from `name`.
pub fn parse(name: &str, text: &str) -> Result<Policy, Error> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(Error::usage_hint(
            format!("{name} is empty, not a policy"),
            "pipe in `gcloud projects get-iam-policy PROJECT --format=json`",
        ));
    }
    let parsed = if trimmed.starts_with('{') {
        serde_json::from_str::<Policy>(text).map_err(|e| e.to_string())
    } else if yaml_flow_depth(text) > MAX_YAML_FLOW_DEPTH {
        // libyaml (under serde_norway) takes time quadratic in the nesting of flow collections to
        // refuse them: 20,000 `[` took 6 s, a few MB would take hours (docs/fuzzing.md, finding 1).
        Err(format!("its YAML is nested more than {MAX_YAML_FLOW_DEPTH} levels deep"))
    } else {
        serde_norway::from_str::<Policy>(text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        Error::usage_hint(
            format!("{name} is not an IAM policy: {e}"),
            "expected the JSON (or YAML) that `gcloud projects get-iam-policy PROJECT --format=json` prints",
        )
    })
}

/// A policy is nested five levels deep (policy, bindings, binding, condition, fields); unknown
/// fields may add some. Far past that is no policy.
const MAX_YAML_FLOW_DEPTH: usize = 64;

/// The deepest nesting of YAML flow collections (`[`, `{`) outside quoted scalars. A quote opens a
/// quoted scalar only where a scalar can start (after a space, a line break, `[`, `{`, `,`, `:` or
/// `-`), so an apostrophe inside a plain scalar hides nothing. Brackets inside plain scalars count,
/// which can only overstate the depth of a text that is no policy anyway.
fn yaml_flow_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut prev = '\n';
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let starts_scalar = matches!(prev, ' ' | '\t' | '\n' | '\r' | '[' | '{' | ',' | ':' | '-');
        match c {
            '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            '"' if starts_scalar => {
                // A double-quoted scalar, with backslash escapes.
                while let Some(q) = chars.next() {
                    match q {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            // A single-quoted scalar: `''` inside it reads here as its end and a new start, which
            // skips the same characters.
            '\'' if starts_scalar => {
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                }
            }
            _ => {}
        }
        prev = c;
    }
    deepest
}

/// The `resource` jit reports for a policy file: the one scope given on the command line, or
/// the file itself.
pub fn resource_label(config: &Config, path: &str) -> String {
    match config.scopes.as_slice() {
        [one] => one.name(),
        _ if path == "-" => "stdin".to_string(),
        _ => path.to_string(),
    }
}

/// Writes the edited policy to stdout, as `gcloud … set-iam-policy` reads it.
pub fn write_stdout(policy: &Policy) -> Result<(), Error> {
    let text = policy.to_json_pretty();
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::io(format!("cannot write to stdout: {e}")))
}

/// Replaces the file at `path` with `bytes`, atomically and durably: the one file write of jit.
///
/// - A symlink is written through: the file it points to is replaced and the link stays a link.
/// - A file that is read-only is refused before anything is written. "Read-only" is what the
///   kernel says when jit opens the file for writing (so another user's file is refused), and
///   also a file with no write bit for anyone (mode 0444): root passes every permission check,
///   yet `chmod a-w` is how a file is marked "do not change", as `rm` and editors honour it.
/// - The bytes go to a temporary file beside the target, which is fsynced, given the target's
///   mode, renamed over the target, and the directory fsynced, so a crash leaves the old or the
///   new policy, never a mix. The temporary file is removed on every error path; SIGINT, SIGTERM,
///   SIGHUP and SIGQUIT are held back while it exists, so a killed write does not leave it
///   behind either (SIGKILL cannot be held back).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let fail = |e: std::io::Error| Error::io(format!("cannot write `{}`: {}", path.display(), io_reason(&e)));
    let target = match std::fs::canonicalize(path) {
        Ok(target) => target,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(fail(e)),
    };
    let existing = match std::fs::metadata(&target) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(fail(e)),
    };
    if let Some(meta) = &existing {
        ensure_replaceable(path, &target, meta)?;
    }
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let _held = HeldSignals::hold();
    let mut tmp =
        TempFile::create(dir.join(format!(".{name}.jit-{}.tmp", std::process::id()))).map_err(fail)?;
    tmp.file.write_all(bytes).map_err(fail)?;
    if let Some(meta) = &existing {
        tmp.file.set_permissions(meta.permissions()).map_err(fail)?;
    }
    tmp.file.sync_all().map_err(fail)?;
    tmp.rename_to(&target).map_err(fail)?;
    // The rename itself is durable only once the directory is.
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(fail)
}

/// Refuses to replace what is not a regular file or is read-only (see [`write_atomically`]).
fn ensure_replaceable(shown: &Path, target: &Path, meta: &std::fs::Metadata) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    if !meta.is_file() {
        return Err(Error::usage_hint(
            format!("`{}` is not a regular file; --in-place cannot replace it", shown.display()),
            "leave out --in-place to print the edited policy",
        ));
    }
    let no_write_bit = meta.permissions().mode() & 0o222 == 0;
    let denied = matches!(
        std::fs::OpenOptions::new().write(true).open(target).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem)
    );
    if no_write_bit || denied {
        return Err(Error::usage_hint(
            format!("`{}` is read-only; jit will not replace it", shown.display()),
            "make it writable (`chmod u+w`), or leave out --in-place to print the edited policy",
        ));
    }
    Ok(())
}

/// A temporary file that is removed when dropped unless it was renamed into place.
struct TempFile {
    path: std::path::PathBuf,
    file: std::fs::File,
    placed: bool,
}

impl TempFile {
    fn create(path: std::path::PathBuf) -> std::io::Result<TempFile> {
        use std::os::unix::fs::OpenOptionsExt;
        // Only the owner may read it until it has the target's mode: a policy is not public.
        let file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
        Ok(TempFile { path, file, placed: false })
    }

    fn rename_to(&mut self, target: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, target)?;
        self.placed = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.placed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Holds back the signals that end a process from the terminal or a supervisor while a temporary
/// file exists; they are delivered when this is dropped, after the file is renamed or removed.
struct HeldSignals(Option<libc::sigset_t>);

impl HeldSignals {
    fn hold() -> HeldSignals {
        // SAFETY: plain libc calls on local, initialised signal sets; sigprocmask only changes
        // this thread's mask, and jit's offline path runs on the main thread alone.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                libc::sigaddset(&mut set, signal);
            }
            if libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old) == 0 {
                HeldSignals(Some(old))
            } else {
                HeldSignals(None)
            }
        }
    }
}

impl Drop for HeldSignals {
    fn drop(&mut self) {
        if let Some(old) = &self.0 {
            // SAFETY: restores the mask saved by `hold`.
            unsafe {
                libc::pthread_sigmask(libc::SIG_SETMASK, old, std::ptr::null_mut());
            }
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn yaml_flow_depth_skips_quoted_scalars_only_where_they_start() {
        assert_eq!(yaml_flow_depth("bindings: [{role: a, members: [b]}]"), 3);
        assert_eq!(yaml_flow_depth("title: \"[[[[\"\nx: '{{{'"), 0);
        assert_eq!(yaml_flow_depth("d: it's [[[\n"), 3, "an apostrophe inside a plain scalar hides nothing");
        assert_eq!(yaml_flow_depth("a: \"\\\"[\"\n"), 0, "an escaped quote stays inside");
        let deep = format!("a: {}", "[".repeat(20_000));
        assert_eq!(yaml_flow_depth(&deep), 20_000);
        let err = parse("stdin", &deep).unwrap_err();
        assert_eq!(
            err.to_string(),
            "stdin is not an IAM policy: its YAML is nested more than 64 levels deep"
        );
        assert_eq!(err.exit_code(), 2);
    }
    use super::*;

    #[test]
    fn a_temporary_file_is_removed_unless_placed() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = TempFile::create(dir.path().join(".p.tmp")).unwrap();
        drop(tmp);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "removed on an error path");
        let mut tmp = TempFile::create(dir.path().join(".p.tmp")).unwrap();
        tmp.rename_to(&dir.path().join("p.json")).unwrap();
        drop(tmp);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["p.json"]);
    }

    #[test]
    fn a_failed_write_leaves_no_temporary_file() {
        // A directory where a file is expected: refused, nothing created beside it.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("policy.json");
        std::fs::create_dir(&target).unwrap();
        let e = write_atomically(&target, b"{}").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("`{}` is not a regular file; --in-place cannot replace it", target.display())
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // The mode of the replaced file is kept.
        use std::os::unix::fs::PermissionsExt;
        let file = dir.path().join("p.json");
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&file, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640);
    }

    #[test]
    fn json_and_gcloud_yaml() {
        let yaml =
            "bindings:\n- members:\n  - user:a@example.com\n  role: roles/viewer\netag: BwX=\nversion: 1\n";
        let p = parse("stdin", yaml).unwrap();
        assert_eq!(p.bindings[0].members, ["user:a@example.com"]);
        assert_eq!(p.etag.as_deref(), Some("BwX="));
        let e = parse("`p.json`", "{\"bindings\": [").unwrap_err();
        assert!(e.to_string().starts_with("`p.json` is not an IAM policy: "), "{e}");
        let first = |text: &str| parse("stdin", text).map_err(|e| e.to_string()).unwrap_err();
        assert_eq!(first(""), "stdin is empty, not a policy");
        assert!(first("hello").starts_with("stdin is not an IAM policy: "), "{}", first("hello"));
        assert!(first("[1,2]").starts_with("stdin is not an IAM policy: "), "{}", first("[1,2]"));
    }
}

//! `--policy-file`: the same engine on a saved policy, with no network and no credentials
//! (SPEC §2). The edited policy goes to stdout, or back into the file with `--in-place`.

use std::io::{Read, Write};
use std::path::Path;

use crate::cli::Format;
use crate::config::Config;
use crate::error::Error;
use crate::policy::Policy;

/// Reads a policy as gcloud prints it: JSON (`--format=json`) or gcloud's default YAML.
pub fn read(path: &str) -> Result<Policy, Error> {
    let (name, text) = if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::usage(format!("cannot read the policy from stdin: {e}")))?;
        ("stdin".to_string(), text)
    } else {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::usage_hint(
                format!("cannot read the policy file `{path}`: {}", io_reason(&e)),
                "save one with `gcloud projects get-iam-policy PROJECT --format=json > FILE`",
            )
        })?;
        (format!("`{path}`"), text)
    };
    parse(&name, &text)
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

/// The `resource` jit reports for a policy file: the one scope given on the command line, or
/// the file itself.
pub fn resource_label(config: &Config, path: &str) -> String {
    match config.scopes.as_slice() {
        [one] => one.name(),
        _ if path == "-" => "stdin".to_string(),
        _ => path.to_string(),
    }
}

/// Writes the edited policy: into the file atomically (a temporary file beside it, renamed over
/// it), or to stdout.
pub fn write(path: &str, in_place: bool, policy: &Policy) -> Result<(), Error> {
    let text = policy.to_json_pretty();
    if in_place {
        write_atomically(Path::new(path), text.as_bytes())
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Error::io(format!("cannot write to stdout: {e}")))
    }
}

/// Ends an offline edit. With `--dry-run` the report goes to stdout and nothing is written. With
/// `--in-place` the file is rewritten (only if something changed) and the report goes to stdout.
/// Otherwise the policy goes to stdout, changed or not, so a pipeline always gets one, and a
/// human report goes to stderr.
pub fn finish(
    config: &Config,
    path: &str,
    in_place: bool,
    dry_run: bool,
    policy: &Policy,
    changed: bool,
    render: impl FnOnce(&mut dyn Write, Format) -> Result<(), Error>,
) -> Result<(), Error> {
    if dry_run {
        return super::to_stdout(config, |w| {
            render(w, config.format)?;
            crate::output::dry_run_note(true, config.format, w)
        });
    }
    if in_place {
        if changed {
            write(path, true, policy)?;
        }
        return super::to_stdout(config, |w| render(w, config.format));
    }
    write(path, false, policy)?;
    super::to_stderr(config, |w| render(w, Format::Table))
}

pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let fail = |e: std::io::Error| Error::io(format!("cannot write `{}`: {e}", path.display()));
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.jit-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_gcloud_yaml() {
        let yaml =
            "bindings:\n- members:\n  - user:a@example.com\n  role: roles/viewer\netag: BwX=\nversion: 1\n";
        let p = parse("stdin", yaml).unwrap();
        assert_eq!(p.bindings[0].members, ["user:a@example.com"]);
        assert_eq!(p.etag.as_deref(), Some("BwX="));
        let e = parse("`p.json`", "{\"bindings\": [").unwrap_err();
        assert!(e.to_string().starts_with("`p.json` is not an IAM policy: "), "{e}");
        assert!(parse("stdin", "").is_err());
        assert!(parse("stdin", "hello").is_err());
        assert!(parse("stdin", "[1,2]").is_err());
    }
}

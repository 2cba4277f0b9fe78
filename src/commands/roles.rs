//! `jit roles show|list`, and the role picker of `jit grant` on a terminal: what jit's copy of
//! Google's predefined roles (src/roles.rs) says, for people and for scripts.

use std::io::Write;

use serde::Serialize;

use crate::cli::{Format, GrantArgs, RolesCommand};
use crate::config::{Config, Target};
use crate::error::{Error, exit};
use crate::output::{self, structured};
use crate::roles::{self, CatalogRole, RoleCheck};

pub fn run(command: &RolesCommand, format: Format) -> Result<i32, Error> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match command {
        RolesCommand::Show { role, all_permissions } => show(role, *all_permissions, format, &mut out)?,
        RolesCommand::List { prefix } => list(prefix.as_deref(), format, &mut out)?,
    }
    out.flush().map_err(io)?;
    Ok(exit::OK)
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::io(format!("cannot write the output: {e}"))
}

/// A role as `roles show` reports it (docs/usage.md, "Roles").
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Shown {
    name: &'static str,
    title: &'static str,
    stage: &'static str,
    permission_count: usize,
    /// The permissions that lead to more access than the role describes, and why.
    escalation: Vec<Escalation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions: Option<Vec<&'static str>>,
}

#[derive(Serialize)]
struct Escalation {
    permission: &'static str,
    why: &'static str,
}

/// A role as `roles list` reports it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    name: &'static str,
    title: &'static str,
    stage: &'static str,
    permission_count: usize,
}

fn catalog_role(name: &str) -> Result<CatalogRole, Error> {
    match roles::check(name, None)? {
        RoleCheck::Predefined(role) => Ok(role),
        RoleCheck::Custom | RoleCheck::Confirmed => Err(Error::usage_hint(
            format!("`{}` is a custom role: jit knows only Google's predefined roles", name.trim()),
            "`gcloud iam roles describe ROLE_ID --project PROJECT_ID` (or --organization) shows a custom role",
        )),
    }
}

fn show(name: &str, all_permissions: bool, format: Format, w: &mut dyn Write) -> Result<(), Error> {
    let role = catalog_role(name)?;
    let shown = Shown {
        name: role.name(),
        title: role.title(),
        stage: role.stage(),
        permission_count: role.permission_count(),
        escalation: roles::escalation_permissions(role)
            .into_iter()
            .map(|p| Escalation { permission: p, why: roles::escalation_reason(p).unwrap_or_default() })
            .collect(),
        permissions: all_permissions.then(|| role.permissions().collect()),
    };
    if format != Format::Table {
        return structured(&shown, format, w);
    }
    writeln!(w, "{}", clean(shown.name)).map_err(io)?;
    writeln!(w, "  Title:        {}", clean(shown.title)).map_err(io)?;
    writeln!(w, "  Stage:        {}", clean(shown.stage)).map_err(io)?;
    writeln!(w, "  Permissions:  {}", shown.permission_count).map_err(io)?;
    let width = shown.escalation.iter().map(|e| e.permission.len()).max().unwrap_or(0);
    let mut label = "  Escalation:   ";
    if shown.escalation.is_empty() {
        writeln!(w, "{label}none that jit knows of").map_err(io)?;
    }
    // The reasons wrap at spaces to the terminal's width (a permission is never broken: issue 19
    // item 7); 16 + the widest permission + 2 columns come before them.
    let room = output::table_width().map(|cols| cols.saturating_sub(label.len() + width + 2).max(20));
    for e in &shown.escalation {
        let why = room.map_or_else(|| e.why.to_string(), |room| output::wrap_cell(e.why, room));
        let indent = " ".repeat(label.len() + width + 2);
        let why = why.replace('\n', &format!("\n{indent}"));
        writeln!(w, "{label}{:<width$}  {}", clean(e.permission), why).map_err(io)?;
        label = "                ";
    }
    if let Some(permissions) = &shown.permissions {
        writeln!(w, "  All permissions:").map_err(io)?;
        for p in permissions {
            writeln!(w, "    {}", clean(p)).map_err(io)?;
        }
    }
    Ok(())
}

fn list(prefix: Option<&str>, format: Format, w: &mut dyn Write) -> Result<(), Error> {
    let prefix = match prefix.map(str::trim) {
        None => String::new(),
        Some(p) if p.starts_with("roles/") || "roles/".starts_with(p) => p.to_string(),
        Some(p) => format!("roles/{p}"),
    };
    let rows: Vec<Listed> = roles::with_prefix(&prefix)
        .map(|r| Listed {
            name: r.name(),
            title: r.title(),
            stage: r.stage(),
            permission_count: r.permission_count(),
        })
        .collect();
    if format != Format::Table {
        return structured(&rows, format, w);
    }
    if rows.is_empty() {
        return writeln!(w, "No predefined role starts with `{}`.", clean(&prefix)).map_err(io);
    }
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(vec!["NAME", "TITLE", "STAGE", "PERMISSIONS"]);
    for r in &rows {
        t.add_row(vec![clean(r.name), clean(r.title), clean(r.stage), r.permission_count.to_string()]);
    }
    writeln!(w, "{t}").map_err(io)
}

/// Control characters shown escaped, so that a refreshed catalog cannot drive the terminal.
fn clean(s: &str) -> String {
    crate::text::escape(s).into_owned()
}

/// `jit grant` with no role on a terminal: a fuzzy finder over the roles with their titles, then,
/// with neither --for nor --until, the duration. Never called without a terminal (cli::parse keeps
/// the role required there).
pub(crate) fn pick(config: &Config, args: &GrantArgs) -> Result<crate::config::Picked, Error> {
    if !config.interactive {
        return Err(Error::usage("no role given"));
    }
    let choices = pickable(config);
    // One terminal line per role: dialoguer redraws by counting lines, so a wrapped line would
    // leave debris. Names are padded to a column, up to a point (the longest is ~60 characters).
    let columns = usize::from(dialoguer::console::Term::stderr().size().1).saturating_sub(3).max(20);
    let width = choices.iter().map(|(name, _)| name.len()).max().unwrap_or(0).min(44);
    let items: Vec<String> = choices
        .iter()
        .map(|(name, title)| format!("{name:<width$}  {}", clean(title)).chars().take(columns).collect())
        .collect();
    let picked = {
        // dialoguer hides the cursor while the list is shown and shows it again only when it
        // returns; Ctrl-C (console raises SIGINT itself, `unix_term.rs` `read_single_key`) would
        // end jit with the cursor hidden in the user's shell.
        let _guard = CursorOnInterrupt::install();
        dialoguer::FuzzySelect::new()
            .with_prompt("Role to grant (type to filter, Enter to pick, Esc to cancel)")
            .items(&items)
            .max_length(15)
            .report(false)
            .interact_opt()
            .map_err(|e| {
                // An error leaves dialoguer's loop early too, before it shows the cursor.
                let _ = dialoguer::console::Term::stderr().show_cursor();
                Error::io(format!("cannot ask for a role: {e}"))
            })?
    };
    let Some(index) = picked else {
        return Err(Error::usage_hint("no role picked", "name the role: `jit grant ROLE --for DURATION`"));
    };
    let (name, title) = &choices[index];
    eprintln!("Role to grant: {name} ({})", clean(title));
    let mut picked = crate::config::Picked { role: name.clone(), duration: None };
    if args.duration.is_none() && args.until.is_none() {
        let duration: String = dialoguer::Input::new()
            .with_prompt("For how long (90m, 2h, 1d…)")
            .default("1h".to_string())
            .validate_with(|text: &String| -> Result<(), String> {
                crate::timespec::parse_duration(text).map(|_| ()).map_err(|e| e.to_string())
            })
            .interact_text()
            .map_err(|e| Error::io(format!("cannot ask for a duration: {e}")))?;
        picked.duration = Some(duration);
    }
    Ok(picked)
}

/// The roles the picker offers, as (name, title). Online, the roles Google says can be granted
/// on every scope (`roles.queryGrantableRoles`, custom roles included: issue 13 item 4); offline,
/// or when Google gives no list, every predefined role of jit's copy, with a note saying so.
fn pickable(config: &Config) -> Vec<(String, String)> {
    if let Target::Api(_) = &config.target {
        let asked = crate::target::block_on(async {
            crate::target::Policies::open(config).await?.grantable_roles().await
        });
        let why = match asked {
            Ok(lists) => match common_roles(lists) {
                roles if !roles.is_empty() => return roles,
                _ => "Google named no role grantable on all of them".to_string(),
            },
            Err(e) => format!("Google could not be asked which roles are grantable there: {e}"),
        };
        if !config.quiet {
            eprintln!("note: {}; offering every predefined role of jit's copy", crate::text::escape(&why));
        }
    }
    roles::all().map(|r| (r.name().to_string(), r.title().to_string())).collect()
}

/// The roles in every one of `lists` (one per scope), in the order of the first, each once.
fn common_roles(lists: Vec<Vec<(String, String)>>) -> Vec<(String, String)> {
    let mut lists = lists.into_iter();
    let Some(first) = lists.next() else { return Vec::new() };
    let others: Vec<std::collections::HashSet<String>> =
        lists.map(|l| l.into_iter().map(|(name, _)| name).collect()).collect();
    let mut seen = std::collections::HashSet::new();
    first
        .into_iter()
        .filter(|(name, _)| others.iter().all(|o| o.contains(name)) && seen.insert(name.clone()))
        .collect()
}

/// While it lives, SIGINT, SIGTERM and SIGHUP first show the terminal's cursor again (DECTCEM,
/// `ESC [ ? 25 h`, what `console::Term::show_cursor` writes), then end jit as the signal would
/// (default action, so a shell still sees 128 + the signal). Dropped, the previous handlers are
/// back.
struct CursorOnInterrupt {
    #[cfg(unix)]
    previous: Vec<(libc::c_int, libc::sighandler_t)>,
}

#[cfg(unix)]
const CURSOR_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

#[cfg(unix)]
extern "C" fn show_cursor_then_die(signal: libc::c_int) {
    const SHOW: &[u8] = b"\x1b[?25h";
    // SAFETY: write(2), signal(2) and raise(3) are async-signal-safe; the buffer is static.
    unsafe {
        libc::write(libc::STDERR_FILENO, SHOW.as_ptr().cast(), SHOW.len());
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

impl CursorOnInterrupt {
    fn install() -> CursorOnInterrupt {
        #[cfg(unix)]
        {
            let handler = show_cursor_then_die as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SAFETY: signal(2) with a handler that only makes async-signal-safe calls.
            let previous = CURSOR_SIGNALS.iter().map(|&s| (s, unsafe { libc::signal(s, handler) })).collect();
            CursorOnInterrupt { previous }
        }
        #[cfg(not(unix))]
        CursorOnInterrupt {}
    }
}

impl Drop for CursorOnInterrupt {
    fn drop(&mut self) {
        #[cfg(unix)]
        for &(signal, handler) in &self.previous {
            if handler != libc::SIG_ERR {
                // SAFETY: restores the disposition signal(2) returned.
                unsafe { libc::signal(signal, handler) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(names: &[&str]) -> Vec<(String, String)> {
        names.iter().map(|n| (n.to_string(), format!("title of {n}"))).collect()
    }

    /// Over several scopes the picker offers the roles grantable on all of them, in Google's
    /// order for the first, each once.
    #[test]
    fn the_picker_offers_the_roles_common_to_every_scope() {
        let common = common_roles(vec![
            named(&["roles/a", "roles/b", "roles/c", "roles/b"]),
            named(&["roles/c", "roles/b"]),
            named(&["roles/b", "roles/c", "roles/d"]),
        ]);
        assert_eq!(common, named(&["roles/b", "roles/c"]));
        assert_eq!(common_roles(vec![named(&["roles/a"])]), named(&["roles/a"]));
        assert_eq!(common_roles(vec![named(&["roles/a"]), named(&["roles/b"])]), Vec::new());
        assert_eq!(common_roles(Vec::new()), Vec::new());
    }
}

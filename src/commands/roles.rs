//! `jit roles show|list`, and the role picker of `jit grant` on a terminal: what jit's copy of
//! Google's predefined roles (src/roles.rs) says, for people and for scripts.

use std::io::Write;

use serde::Serialize;

use crate::cli::{Format, GrantArgs, RolesCommand};
use crate::config::Config;
use crate::error::{Error, exit};
use crate::output::structured;
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
    for e in &shown.escalation {
        writeln!(w, "{label}{:<width$}  {}", clean(e.permission), e.why).map_err(io)?;
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
    crate::output::escape(s).into_owned()
}

/// `jit grant` with no role on a terminal: a fuzzy finder over the roles with their titles, then,
/// with neither --for nor --until, the duration. Never called without a terminal (cli::parse keeps
/// the role required there).
pub(crate) fn pick(config: &Config, args: &mut GrantArgs) -> Result<(), Error> {
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
    let picked = dialoguer::FuzzySelect::new()
        .with_prompt("Role to grant (type to filter, Enter to pick, Esc to cancel)")
        .items(&items)
        .max_length(15)
        .report(false)
        .interact_opt()
        .map_err(|e| Error::io(format!("cannot ask for a role: {e}")))?;
    let Some(index) = picked else {
        return Err(Error::usage_hint("no role picked", "name the role: `jit grant ROLE --for DURATION`"));
    };
    let (name, title) = &choices[index];
    eprintln!("Role to grant: {name} ({})", clean(title));
    args.roles.push(name.clone());
    if args.duration.is_none() && args.until.is_none() {
        let duration: String = dialoguer::Input::new()
            .with_prompt("For how long (90m, 2h, 1d…)")
            .default("1h".to_string())
            .validate_with(|text: &String| -> Result<(), String> {
                crate::timespec::parse_duration(text).map(|_| ()).map_err(|e| e.to_string())
            })
            .interact_text()
            .map_err(|e| Error::io(format!("cannot ask for a duration: {e}")))?;
        args.duration = Some(duration);
    }
    Ok(())
}

/// The roles the picker offers, as (name, title). Today every predefined role of jit's copy; when
/// the API layer can ask Google, the roles grantable on `config.scopes`
/// (`roles.queryGrantableRoles`) belong here instead, with this list as the offline fallback.
fn pickable(_config: &Config) -> Vec<(String, String)> {
    roles::all().map(|r| (r.name().to_string(), r.title().to_string())).collect()
}

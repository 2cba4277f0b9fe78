//! What a person reads: tables checked against expected text (a fixed clock through the library,
//! or far-away times through the binary with TZ=UTC), and control characters from a hostile policy
//! shown escaped in every table, report and message while JSON and YAML keep the exact value
//! (docs/output.md, "Tables and messages").

use std::str::FromStr;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde_json::{Value, json};

use jit::cli::Format;
use jit::condition::GrantNote;
use jit::edit::{self, GrantRequest, Members};
use jit::iam::{Principal, Role};
use jit::output::{self, GrantOutput, RemovalOutput, ResourceError};

use crate::support::{Run, jit};

// ---------------------------------------------------------------------------------------------
// Tables from fixed inputs and a fixed clock, through the library.

const NOW: &str = "2026-11-25T12:00:00Z";

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

/// Five time-bound bindings around NOW from four tools, and one without a time bound.
fn policy() -> jit::policy::Policy {
    let text = json!({
        "bindings": [
            {"members": ["user:bob@example.com"], "role": "roles/storage.admin"},
            {
                "condition": {
                    "description": "Granted by user:alice@example.com at 2026-11-25T11:00:00Z via jit. Reason: INC-9",
                    "expression": "request.time < timestamp(\"2026-11-25T14:00:00Z\")",
                    "title": "jit until 2026-11-25T14:00:00Z"
                },
                "members": ["user:carol@example.com", "user:dan@example.com"],
                "role": "roles/storage.objectViewer"
            },
            {
                "condition": {
                    "description": "Granted by user:alice@example.com at 2026-11-25T08:00:00Z via jit.",
                    "expression": "request.time < timestamp(\"2026-11-25T09:00:00Z\")",
                    "title": "jit until 2026-11-25T09:00:00Z"
                },
                "members": ["user:old@example.com"],
                "role": "roles/logging.viewer"
            },
            {
                "condition": {
                    "description": "access created by Gimme",
                    "expression": "request.time < timestamp('2026-11-25T11:30:00Z')",
                    "title": "granted by alice@example.com"
                },
                "members": ["user:gimme@example.com"],
                "role": "roles/logging.viewer"
            },
            {
                "condition": {
                    "expression": "request.time >= timestamp(\"2026-11-25T17:00:00Z\") && request.time < timestamp(\"2026-11-27T18:00:00Z\")",
                    "title": "JIT access activation",
                    "description": "Self-approved, justification: maintenance"
                },
                "members": ["user:erin@example.com"],
                "role": "roles/compute.admin"
            }
        ],
        "etag": "BwYmEJ6v3Xo=",
        "version": 3
    });
    jit::target::file::parse("test", &text.to_string()).unwrap()
}

/// [`policy`] with old's expired jit grant on the role the grant tests grant: a grant prunes
/// jit's expired bindings of the roles it writes only (a delegate may change no other role).
fn policy_old_on_objects() -> jit::policy::Policy {
    let mut p = policy();
    p.bindings[2].role = "roles/storage.objectViewer".into();
    p
}

/// UTC+05:30, so that the local column differs from the UTC one in hours and minutes.
fn india() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 1800).unwrap()
}

fn text(render: impl FnOnce(&mut dyn std::io::Write) -> jit::Result<()>) -> String {
    let mut out = Vec::new();
    render(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Exact comparison with a readable diff of the first differing line.
#[track_caller]
fn same(got: &str, want: &str) {
    if got != want {
        let line = got.lines().zip(want.lines()).position(|(g, w)| g != w);
        panic!(
            "output differs{}\n--- got:\n{got}\n--- want:\n{want}",
            line.map(|l| format!(" first at line {}", l + 1)).unwrap_or_default()
        );
    }
}

#[test]
fn list_table_is_exactly_as_expected() {
    let rows = edit::timed_bindings("projects/my-project", &policy(), now()).expect("a version-3 policy");
    let got = text(|w| output::list_in(&rows, Format::Table, now(), &india(), w));
    same(
        &got,
        "\
RESOURCE             ROLE                        MEMBER                  STATE                    EXPIRES (UTC)         EXPIRES (LOCAL)          REMAINING           SOURCE      GRANTED BY              REASON
projects/my-project  roles/logging.viewer        user:old@example.com    expired                  2026-11-25T09:00:00Z  2026-11-25 14:30 +05:30  expired 3h ago      jit         user:alice@example.com
projects/my-project  roles/logging.viewer        user:gimme@example.com  expired                  2026-11-25T11:30:00Z  2026-11-25 17:00 +05:30  expired 30m ago     gimme       alice@example.com
projects/my-project  roles/storage.objectViewer  user:carol@example.com  active                   2026-11-25T14:00:00Z  2026-11-25 19:30 +05:30  2h left             jit         user:alice@example.com  INC-9
projects/my-project  roles/storage.objectViewer  user:dan@example.com    active                   2026-11-25T14:00:00Z  2026-11-25 19:30 +05:30  2h left             jit         user:alice@example.com  INC-9
projects/my-project  roles/compute.admin         user:erin@example.com   scheduled, starts in 5h  2026-11-27T18:00:00Z  2026-11-27 23:30 +05:30  2d 1h once started  jit-access                          maintenance
",
    );
    same(&text(|w| output::list_in(&[], Format::Table, now(), &india(), w)), "No time-bound bindings.\n");
}

fn request(roles: &[&str], members: &[&str], end: &str) -> GrantRequest {
    GrantRequest {
        roles: roles.iter().map(|r| Role::from_str(r).unwrap()).collect(),
        members: members.iter().map(|m| Principal::from_str(m).unwrap()).collect(),
        start: None,
        end: end.parse().unwrap(),
        replace: false,
        note: GrantNote { granted_by: None, granted_at: Some(now()), reason: Some("INC-42".into()) },
        maximum: Default::default(),
    }
}

#[test]
fn grant_table_is_exactly_as_expected() {
    // carol's grant is extended, dan's already covers 13:00, frank's is new, old's expired one is
    // pruned; bob already holds storage.admin unconditionally.
    let req = request(
        &["roles/storage.objectViewer"],
        &["carol@example.com", "frank@example.com"],
        "2026-11-25T16:00:00Z",
    );
    let (_, mut report) = edit::grant("projects/my-project", &policy_old_on_objects(), &req, now()).unwrap();
    let (_, dan) = edit::grant(
        "projects/my-project",
        &policy_old_on_objects(),
        &request(
            &["roles/storage.objectViewer", "roles/storage.admin"],
            &["dan@example.com", "bob@example.com"],
            "2026-11-25T13:00:00Z",
        ),
        now(),
    )
    .unwrap();
    report.unchanged.extend(dan.unchanged);
    report.warnings.extend(dan.warnings);
    let out = GrantOutput {
        report,
        errors: vec![ResourceError {
            resource: "projects/other-project".into(),
            message: "HTTP 403: denied".into(),
        }],
        dry_run: false,
    };
    // The failure is not in the table: every command names failures on stderr
    // (`target::print_errors`, issue 12 item 8).
    same(
        &text(|w| output::grant_in(&out, Format::Table, now(), &india(), w)),
        "                  ROLE                        MEMBER                  RESOURCE             EXPIRES (UTC)         EXPIRES (LOCAL)          REMAINING
granted           roles/storage.objectViewer  user:frank@example.com  projects/my-project  2026-11-25T16:00:00Z  2026-11-25 21:30 +05:30  4h left
extended          roles/storage.objectViewer  user:carol@example.com  projects/my-project  2026-11-25T16:00:00Z  2026-11-25 21:30 +05:30  4h left
unchanged         roles/storage.objectViewer  user:dan@example.com    projects/my-project  2026-11-25T14:00:00Z  2026-11-25 19:30 +05:30  2h left
pruned (expired)  roles/storage.objectViewer  user:old@example.com    projects/my-project  2026-11-25T09:00:00Z  2026-11-25 14:30 +05:30  expired 3h ago
warning: `user:bob@example.com` already holds `roles/storage.admin` without a condition on `projects/my-project`; this grant adds nothing until that binding is removed
",
    );
}

#[test]
fn removal_tables_are_exactly_as_expected() {
    let roles = [Role::from_str("roles/storage.objectViewer").unwrap()];
    let (_, removed) = edit::revoke("projects/my-project", &policy(), &roles, &Members::All, now()).unwrap();
    let out = RemovalOutput { removed, resources: 1, errors: Vec::new(), dry_run: false };
    same(
        &text(|w| output::removal(&out, Format::Table, w)),
        "\
RESOURCE             ROLE                        MEMBER                  STATE   EXPIRES (UTC)         SOURCE  CONDITION
projects/my-project  roles/storage.objectViewer  user:carol@example.com  active  2026-11-25T14:00:00Z  jit     jit until 2026-11-25T14:00:00Z: request.time < timestamp(\"2026-11-25T14:00:00Z\")
projects/my-project  roles/storage.objectViewer  user:dan@example.com    active  2026-11-25T14:00:00Z  jit     jit until 2026-11-25T14:00:00Z: request.time < timestamp(\"2026-11-25T14:00:00Z\")
Removed 2 time-bound grants on 1 resource.
",
    );
    let (_, removed) =
        edit::cleanup("projects/my-project", &policy(), now(), Duration::zero(), false).unwrap();
    let out = RemovalOutput {
        removed,
        resources: 2,
        errors: vec![ResourceError { resource: "folders/42".into(), message: "HTTP 500: boom".into() }],
        dry_run: true,
    };
    same(
        &text(|w| {
            output::removal(&out, Format::Table, w)?;
            output::dry_run_note(true, Format::Table, w)
        }),
        "\
RESOURCE             ROLE                  MEMBER                  STATE    EXPIRES (UTC)         SOURCE  CONDITION
projects/my-project  roles/logging.viewer  user:old@example.com    expired  2026-11-25T09:00:00Z  jit     jit until 2026-11-25T09:00:00Z: request.time < timestamp(\"2026-11-25T09:00:00Z\")
projects/my-project  roles/logging.viewer  user:gimme@example.com  expired  2026-11-25T11:30:00Z  gimme   granted by alice@example.com: request.time < timestamp('2026-11-25T11:30:00Z')
Would remove 2 time-bound grants on 2 resources.
Dry run: nothing was written.
",
    );
    let nothing = RemovalOutput { removed: Vec::new(), resources: 1, errors: Vec::new(), dry_run: false };
    same(
        &text(|w| output::removal(&nothing, Format::Table, w)),
        "Removed 0 time-bound grants on 1 resource.\n",
    );
}

// ---------------------------------------------------------------------------------------------
// Control characters from a hostile policy, through the binary.

/// A member that, printed raw, erases its own line and shows alice instead.
const MALLORY: &str = "user:mallory@example.com\u{1b}[2K\ruser:alice@example.com";
const MALLORY_SHOWN: &str = "user:mallory@example.com\\u{1b}[2K\\u{d}user:alice@example.com";
/// Granted by a principal holding an 8-bit CSI; the reason reversed by a right-to-left override and
/// ringing the bell.
const DESCRIPTION: &str =
    "Granted by user:ev\u{9b}31mil@example.com at 2026-01-01T00:00:00Z via jit. Reason: \u{202e}gnp.exe\u{7}";
const GRANTED_BY_SHOWN: &str = "user:ev\\u{9b}31mil@example.com";
const REASON_SHOWN: &str = "\\u{202e}gnp.exe\\u{7}";
/// Backspaces over its own name.
const OLD: &str = "user:old\u{8}\u{8}\u{8}new@example.com";
const OLD_SHOWN: &str = "user:old\\u{8}\\u{8}\\u{8}new@example.com";
const OLD_TITLE: &str = "jit until 2001-01-01T00:00:00Z\r\u{1b}[1A";
const OTHER_ROLE: &str = "roles/compute.admin\u{1b}[8m";
const OTHER_MEMBER: &str = "group:ops\u{85}@example.com";
const OTHER_TITLE: &str = "\u{2066}temp\u{2069}";

/// Far-away times only, so every table below is the same whenever the test runs.
fn hostile() -> Value {
    json!({
        "bindings": [
            {"members": ["user:bob@example.com"], "role": "roles/storage.objectViewer"},
            {
                "condition": {
                    "description": DESCRIPTION,
                    "expression": "request.time < timestamp(\"2999-01-01T00:00:00Z\")",
                    "title": "jit until 2999-01-01T00:00:00Z"
                },
                "members": [MALLORY],
                "role": "roles/storage.objectViewer"
            },
            {
                "condition": {
                    "expression": "request.time < timestamp(\"2001-01-01T00:00:00Z\")",
                    "title": OLD_TITLE
                },
                "members": [OLD],
                "role": "roles/logging.viewer"
            },
            {
                "condition": {
                    "description": "x\ny",
                    "expression": "request.time < timestamp(\"2001-06-01T00:00:00Z\")",
                    "title": OTHER_TITLE
                },
                "members": [OTHER_MEMBER],
                "role": OTHER_ROLE
            }
        ],
        "etag": "BwYmEJ6v3Xo=",
        "version": 3
    })
}

/// A policy file in a directory of its own, under a name that itself holds an OSC sequence (it is
/// the resource jit reports when no scope is given).
struct File {
    dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

const FILE_NAME: &str = "pol\u{1b}]0;owned\u{7}.json";
const FILE_NAME_SHOWN: &str = "pol\\u{1b}]0;owned\\u{7}.json";

impl File {
    fn new(policy: &Value) -> File {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, serde_json::to_string_pretty(policy).unwrap()).unwrap();
        File { dir, path }
    }

    fn p(&self) -> &str {
        self.path.to_str().unwrap()
    }

    /// The path as jit shows it.
    fn shown(&self) -> String {
        format!("{}/{FILE_NAME_SHOWN}", self.dir.path().display())
    }

    fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.path).unwrap()
    }
}

/// Written independently of `output::is_terminal_control`, so that the two can disagree.
fn is_raw_control(c: char) -> bool {
    let u = u32::from(c);
    (u < 0x20 && c != '\n')
        || u == 0x7f
        || (0x80..=0x9f).contains(&u)
        || [0x061c, 0x200e, 0x200f, 0x2028, 0x2029].contains(&u)
        || (0x202a..=0x202e).contains(&u)
        || (0x2066..=0x2069).contains(&u)
}

/// The cells of a table line (columns are two spaces apart; no cell here holds two spaces).
fn cells(line: &str) -> Vec<String> {
    line.split("  ").map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect()
}

#[track_caller]
fn assert_no_raw_controls(run: &Run) {
    assert_no_raw_controls_in("stdout", &run.stdout);
    assert_no_raw_controls_in("stderr", &run.stderr);
}

#[track_caller]
fn assert_no_raw_controls_in(name: &str, text: &str) {
    if let Some(c) = text.chars().find(|&c| is_raw_control(c)) {
        panic!("raw {c:?} on {name}:\n{}", text.escape_debug());
    }
}

#[test]
fn list_table_shows_control_characters_escaped() {
    let f = File::new(&hostile());
    let run = jit(&["list", "--policy-file", f.p(), "--all", "--format", "table"]).run().ok();
    assert_no_raw_controls(&run);
    let rows: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(rows.len(), 4, "{}", run.stdout);
    // Sorted by expiry: the two expired ones, then mallory's.
    let old = cells(rows[1]);
    assert_eq!(
        old[..5],
        [
            f.shown(),
            "roles/logging.viewer".into(),
            OLD_SHOWN.into(),
            "expired".into(),
            "2001-01-01T00:00:00Z".into()
        ]
    );
    let other = cells(rows[2]);
    assert_eq!(other[1..3], ["roles/compute.admin\\u{1b}[8m", "group:ops\\u{85}@example.com"]);
    let mallory = cells(rows[3]);
    assert_eq!(mallory[1..4], ["roles/storage.objectViewer", MALLORY_SHOWN, "active"]);
    assert_eq!(mallory[mallory.len() - 2..], [GRANTED_BY_SHOWN, REASON_SHOWN]);
    assert_eq!(run.stderr, "");
}

#[test]
fn json_and_yaml_keep_the_exact_characters() {
    let f = File::new(&hostile());
    let json = jit(&["list", "--policy-file", f.p(), "--all", "--format", "json"]).run().ok();
    let rows = json.json();
    // JSON escapes every one of them (`\u001b`, `\u202e`): the same value, inert on a terminal.
    assert_no_raw_controls(&json);
    assert!(json.stdout.contains(r#""member": "user:mallory@example.com\u001b[2K\ruser:alice@example.com""#));
    assert!(json.stdout.contains(r#""reason": "\u202egnp.exe\u0007""#), "{}", json.stdout);
    let field = |i: usize, k: &str| rows[i][k].as_str().unwrap().to_string();
    assert_eq!(field(0, "resource"), f.p());
    assert_eq!((field(0, "member"), field(0, "title")), (OLD.to_string(), OLD_TITLE.to_string()));
    assert_eq!((field(1, "role"), field(1, "member")), (OTHER_ROLE.to_string(), OTHER_MEMBER.to_string()));
    assert_eq!((field(1, "title"), field(1, "description")), (OTHER_TITLE.to_string(), "x\ny".to_string()));
    assert_eq!((field(2, "member"), field(2, "description")), (MALLORY.to_string(), DESCRIPTION.to_string()));
    assert_eq!(field(2, "grantedBy"), "user:ev\u{9b}31mil@example.com");
    assert_eq!(field(2, "reason"), "\u{202e}gnp.exe\u{7}");
    // YAML is the same document.
    let yaml = jit(&["list", "--policy-file", f.p(), "--all", "--format", "yaml"]).run().ok();
    let from_yaml: Value = serde_norway::from_str(&yaml.stdout).unwrap();
    assert_eq!(from_yaml, rows);
    // And the reports of the edits keep them too.
    let report = jit(&["cleanup", "--policy-file", f.p(), "--dry-run", "--format", "yaml"]).run().ok();
    let report: Value = serde_norway::from_str(&report.stdout).unwrap();
    let members: Vec<&str> =
        report["removed"].as_array().unwrap().iter().map(|r| r["member"].as_str().unwrap()).collect();
    assert_eq!(members, [OLD, OTHER_MEMBER]);
}

#[test]
fn grant_reports_and_dry_runs_show_control_characters_escaped() {
    let mut fixture = hostile();
    // old's expired jit grant on the role granted, so that the grant prunes it.
    fixture["bindings"][2]["role"] = json!("roles/storage.objectViewer");
    let f = File::new(&fixture);
    let before = f.bytes();
    let args = [
        "grant",
        "roles/storage.objectViewer",
        "--member",
        "bob@example.com",
        "--for",
        "1h",
        "--policy-file",
        f.p(),
    ];
    // Without --in-place: the exact policy on stdout, the report on stderr.
    let run = jit(&args).run().ok();
    assert_eq!(f.bytes(), before);
    let policy: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(policy["bindings"][1]["members"], json!([MALLORY]), "the policy written keeps every byte");
    assert_eq!(policy["bindings"][1]["condition"]["description"], DESCRIPTION);
    assert!(!run.stdout.contains(OLD), "old's expired jit grant is pruned");
    assert_no_raw_controls_in("stderr", &run.stderr);
    let pruned = run
        .stderr
        .lines()
        .find(|l| l.starts_with("pruned (expired)"))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    assert_eq!(
        cells(pruned)[..5],
        [
            "pruned (expired)".into(),
            "roles/storage.objectViewer".into(),
            OLD_SHOWN.into(),
            f.shown(),
            "2001-01-01T00:00:00Z".into()
        ]
    );
    let warning = run.stderr.lines().find(|l| l.starts_with("warning:")).unwrap();
    assert_eq!(
        warning,
        format!(
            "warning: `user:bob@example.com` already holds `roles/storage.objectViewer` without a condition on `{}`; \
             this grant adds nothing until that binding is removed",
            f.shown()
        )
    );
    // A dry run: the report on stdout.
    let mut dry = args.to_vec();
    dry.extend(["--dry-run", "--format", "table"]);
    let run = jit(&dry).run().ok();
    assert_no_raw_controls(&run);
    assert_eq!(f.bytes(), before);
    assert!(
        run.stdout.lines().any(|l| l.starts_with("would prune (expired)") && l.contains(OLD_SHOWN)),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&format!("warning: `user:bob@example.com` already holds `roles/storage.objectViewer` without a condition on `{}`", f.shown())));
    assert!(run.stdout.ends_with("Dry run: nothing was written.\n"), "{}", run.stdout);
}

#[test]
fn revoke_and_cleanup_tables_are_exact_and_escaped() {
    let f = File::new(&hostile());
    let before = f.bytes();
    let run = jit(&[
        "revoke",
        "roles/storage.objectViewer",
        "--all-members",
        "--policy-file",
        f.p(),
        "--project",
        "my-project",
        "--dry-run",
        "--format",
        "table",
    ])
    .run()
    .ok();
    assert_no_raw_controls(&run);
    same(
        &run.stdout,
        "\
RESOURCE             ROLE                        MEMBER                                                        STATE   EXPIRES (UTC)         SOURCE  CONDITION
projects/my-project  roles/storage.objectViewer  user:mallory@example.com\\u{1b}[2K\\u{d}user:alice@example.com  active  2999-01-01T00:00:00Z  jit     jit until 2999-01-01T00:00:00Z: request.time < timestamp(\"2999-01-01T00:00:00Z\")
Would remove 1 time-bound grant on 1 resource.
Dry run: nothing was written.
",
    );
    let run = jit(&[
        "cleanup",
        "--policy-file",
        f.p(),
        "--project",
        "my-project",
        "--dry-run",
        "--format",
        "table",
    ])
    .run()
    .ok();
    assert_no_raw_controls(&run);
    same(
        &run.stdout,
        "\
RESOURCE             ROLE                          MEMBER                                  STATE    EXPIRES (UTC)         SOURCE  CONDITION
projects/my-project  roles/logging.viewer          user:old\\u{8}\\u{8}\\u{8}new@example.com  expired  2001-01-01T00:00:00Z  jit     jit until 2001-01-01T00:00:00Z\\u{d}\\u{1b}[1A: request.time < timestamp(\"2001-01-01T00:00:00Z\")
projects/my-project  roles/compute.admin\\u{1b}[8m  group:ops\\u{85}@example.com             expired  2001-06-01T00:00:00Z  other   \\u{2066}temp\\u{2069}: request.time < timestamp(\"2001-06-01T00:00:00Z\")
Would remove 2 time-bound grants on 1 resource.
Dry run: nothing was written.
",
    );
    assert_eq!(f.bytes(), before);
    // Without --dry-run or --in-place the same table goes to stderr, after the policy on stdout.
    let run = jit(&["cleanup", "--policy-file", f.p()]).run().ok();
    assert_no_raw_controls_in("stderr", &run.stderr);
    assert!(run.stderr.contains(OLD_SHOWN) && run.stderr.contains(&f.shown()), "{}", run.stderr);
    assert!(run.stderr.ends_with("Removed 2 time-bound grants on 1 resource.\n"), "{}", run.stderr);
}

#[test]
fn errors_echo_control_characters_escaped_and_members_and_roles_holding_them_are_refused() {
    let f = File::new(&hostile());
    let before = f.bytes();
    const HINT: &str = "  hint: jit refuses control characters (escape sequences, carriage returns, bidirectional \
                        overrides) in roles and members; type the name again\n";
    let mut wrong = Vec::new();
    for (args, error) in [
        (
            vec!["grant", "roles/a\u{1b}[2J", "--member", "bob@example.com"],
            "error: role `roles/a\\u{1b}[2J` contains the control character `\\u{1b}`\n",
        ),
        (
            vec!["grant", "roles/a.b", "--member", "user:bob@example.com\ruser:alice@example.com"],
            "error: member `user:bob@example.com\\u{d}user:alice@example.com` contains the control character `\\u{d}`\n",
        ),
        (
            vec!["revoke", "roles/a.b", "--member", "user:moc.elpmaxe\u{202e}@evil.com"],
            "error: member `user:moc.elpmaxe\\u{202e}@evil.com` contains the control character `\\u{202e}`\n",
        ),
        (
            vec!["revoke", "roles/a\u{7}.b", "--all-members"],
            "error: role `roles/a\\u{7}.b` contains the control character `\\u{7}`\n",
        ),
        (
            vec!["list", "--member", "user:a\u{1b}[8m@example.com"],
            "error: member `user:a\\u{1b}[8m@example.com` contains the control character `\\u{1b}`\n",
        ),
    ] {
        let mut args = args;
        args.extend(["--policy-file", f.p(), "--in-place"]);
        if args[0] == "list" {
            args.pop();
        }
        let run = jit(&args).run();
        let want = (2, format!("{error}{HINT}"), String::new());
        if (run.code, run.stderr.clone(), run.stdout.clone()) != want {
            wrong.push(format!("{args:?}\n  got:  {run:?}\n  want: {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(f.bytes(), before, "nothing was written");

    // A file name, and content echoed from a file.
    let missing = f.dir.path().join("gone\u{1b}[31m.json");
    let run = jit(&["list", "--policy-file", missing.to_str().unwrap()]).run().code(2);
    assert_no_raw_controls(&run);
    assert_eq!(
        run.error_line(),
        format!(
            "error: cannot read the policy file `{}/gone\\u{{1b}}[31m.json`: no such file",
            f.dir.path().display()
        )
    );
    let v1 = File::new(&json!({
        "bindings": [{"members": ["user:a@example.com"], "role": "roles/x_withcond_\u{1b}[31m\u{202e}"}],
        "version": 1
    }));
    let run = jit(&["cleanup", "--policy-file", v1.p()]).run().code(2);
    assert_no_raw_controls(&run);
    assert!(run.error_line().contains("`roles/x_withcond_\\u{1b}[31m\\u{202e}`"), "{}", run.stderr);
}

/// Against the API the same reports go through the same rendering: a policy whose conditions were
/// written by another tool with control characters in their title and description.
#[test]
fn api_reports_show_control_characters_escaped() {
    let emu = crate::harness::emulator().start();
    let project = "projects/jit-demo-prod";
    let mut policy = emu.policy(project);
    for (member, expires) in
        [("user:bob@example.com", "2001-01-01T00:00:00Z"), ("user:carol@example.com", "2999-01-01T00:00:00Z")]
    {
        policy["bindings"].as_array_mut().unwrap().push(json!({
            "condition": {
                "description": DESCRIPTION,
                "expression": format!("request.time < timestamp(\"{expires}\")"),
                "title": format!("jit until {expires}\r\u{1b}[1A\u{202e}")
            },
            "members": [member],
            "role": "roles/storage.objectViewer"
        }));
    }
    emu.set_policy(project, policy);
    let title_shown = |t: &str| format!("jit until {t}\\u{{d}}\\u{{1b}}[1A\\u{{202e}}");

    let run = emu.jit(&["list", "--project", "jit-demo-prod", "--all", "--format", "table"]).run().ok();
    assert_no_raw_controls(&run);
    let carol = run
        .stdout
        .lines()
        .find(|l| l.contains("user:carol@example.com") && l.contains("2999-01-01"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert_eq!(cells(carol)[cells(carol).len() - 2..], [GRANTED_BY_SHOWN, REASON_SHOWN]);

    let run =
        emu.jit(&["cleanup", "--project", "jit-demo-prod", "--dry-run", "--format", "table"]).run().ok();
    assert_no_raw_controls(&run);
    let bob = run
        .stdout
        .lines()
        .find(|l| l.contains("user:bob@example.com"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(
        bob.ends_with(&format!(
            "{}: request.time < timestamp(\"2001-01-01T00:00:00Z\")",
            title_shown("2001-01-01T00:00:00Z")
        )),
        "{bob}"
    );

    let run = emu
        .jit(&[
            "revoke",
            "roles/storage.objectViewer",
            "--member",
            "carol@example.com",
            "--project",
            "jit-demo-prod",
            "--dry-run",
            "--format",
            "table",
        ])
        .run()
        .ok();
    assert_no_raw_controls(&run);
    assert!(run.stdout.contains(&title_shown("2999-01-01T00:00:00Z")), "{}", run.stdout);
    assert!(
        run.stdout
            .ends_with("Would remove 1 time-bound grant on 1 resource.\nDry run: nothing was written.\n"),
        "{}",
        run.stdout
    );

    // JSON keeps the stored value.
    let rows =
        emu.jit(&["list", "--project", "jit-demo-prod", "--all", "--format", "json"]).run().ok().json();
    let carol = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["member"] == "user:carol@example.com" && r["expires"] == "2999-01-01T00:00:00Z")
        .unwrap();
    assert_eq!(carol["title"], "jit until 2999-01-01T00:00:00Z\r\u{1b}[1A\u{202e}");
    assert_eq!(carol["description"], DESCRIPTION);
}

// ---------------------------------------------------------------------------------------------
// Tables fitted to a terminal's width.

/// Every identifier (resource, role, member, time) of the table is on one line, whole: a table
/// too wide drops columns and wraps at spaces, never inside a word (issue 19 item 7).
#[track_caller]
fn unbroken(text: &str, identifiers: &[&str]) {
    for id in identifiers {
        assert!(text.lines().any(|l| l.contains(id)), "{id} is broken or missing:\n{text}");
    }
}

#[track_caller]
fn fits(text: &str, width: usize) {
    for line in text.lines() {
        assert!(line.chars().count() <= width, "wider than {width}: {line:?}\n{text}");
    }
}

#[test]
fn list_table_fits_80_and_200_columns() {
    let rows = edit::timed_bindings("projects/my-project", &policy(), now()).expect("a version-3 policy");
    let at = |width| text(|w| output::list_fit(&rows, Format::Table, now(), &india(), Some(width), w));
    let narrow = at(80);
    unbroken(
        &narrow,
        &[
            "projects/my-project",
            "roles/storage.objectViewer",
            "user:gimme@example.com",
            "2026-11-27T18:00:00Z",
        ],
    );
    same(
        &narrow,
        "\
RESOURCE: projects/my-project
ROLE                        MEMBER                  STATE       EXPIRES
roles/logging.viewer        user:old@example.com    expired     2026-11-25T09:00:00Z
roles/logging.viewer        user:gimme@example.com  expired     2026-11-25T11:30:00Z
roles/storage.objectViewer  user:carol@example.com  active      2026-11-25T14:00:00Z
roles/storage.objectViewer  user:dan@example.com    active      2026-11-25T14:00:00Z
roles/compute.admin         user:erin@example.com   scheduled,  2026-11-27T18:00:00Z
                                                    starts in
                                                    5h
",
    );
    let wide = at(200);
    fits(&wide, 200);
    same(&wide, "\
RESOURCE: projects/my-project
ROLE                        MEMBER                  STATE                    EXPIRES               LOCAL                    REMAINING           SOURCE      GRANTED BY              REASON
roles/logging.viewer        user:old@example.com    expired                  2026-11-25T09:00:00Z  2026-11-25 14:30 +05:30  expired 3h ago      jit         user:alice@example.com
roles/logging.viewer        user:gimme@example.com  expired                  2026-11-25T11:30:00Z  2026-11-25 17:00 +05:30  expired 30m ago     gimme       alice@example.com
roles/storage.objectViewer  user:carol@example.com  active                   2026-11-25T14:00:00Z  2026-11-25 19:30 +05:30  2h left             jit         user:alice@example.com  INC-9
roles/storage.objectViewer  user:dan@example.com    active                   2026-11-25T14:00:00Z  2026-11-25 19:30 +05:30  2h left             jit         user:alice@example.com  INC-9
roles/compute.admin         user:erin@example.com   scheduled, starts in 5h  2026-11-27T18:00:00Z  2026-11-27 23:30 +05:30  2d 1h once started  jit-access                          maintenance
");
    // Wide enough for every column: the table of a pipe, headers and all.
    same(&at(212), &text(|w| output::list_in(&rows, Format::Table, now(), &india(), w)));
}

#[test]
fn grant_table_fits_80_and_200_columns() {
    let req = request(
        &["roles/storage.objectViewer"],
        &["carol@example.com", "frank@example.com"],
        "2026-11-25T16:00:00Z",
    );
    let (_, report) = edit::grant("projects/my-project", &policy_old_on_objects(), &req, now()).unwrap();
    let out = GrantOutput { report, errors: Vec::new(), dry_run: true };
    let at = |width| text(|w| output::grant_fit(&out, Format::Table, now(), &india(), Some(width), w));
    let narrow = at(80);
    unbroken(&narrow, &["projects/my-project", "roles/storage.objectViewer", "user:frank@example.com"]);
    same(
        &narrow,
        "\
ROLE: roles/storage.objectViewer
RESOURCE: projects/my-project
                    MEMBER                  EXPIRES               REMAINING
would grant         user:frank@example.com  2026-11-25T16:00:00Z  4h left
would extend        user:carol@example.com  2026-11-25T16:00:00Z  4h left
would prune         user:old@example.com    2026-11-25T09:00:00Z  expired 3h ago
(expired)
",
    );
    same(&at(200), &text(|w| output::grant_in(&out, Format::Table, now(), &india(), w)));
}

#[test]
fn removal_tables_fit_80_and_200_columns() {
    let roles = [Role::from_str("roles/storage.objectViewer").unwrap()];
    let (_, removed) = edit::revoke("projects/my-project", &policy(), &roles, &Members::All, now()).unwrap();
    let revoke = RemovalOutput { removed, resources: 1, errors: Vec::new(), dry_run: false };
    let (_, removed) =
        edit::cleanup("projects/my-project", &policy(), now(), Duration::zero(), false).unwrap();
    let cleanup = RemovalOutput { removed, resources: 1, errors: Vec::new(), dry_run: false };
    for (out, narrow_want, wide_want) in [(&revoke, "\
RESOURCE: projects/my-project
ROLE: roles/storage.objectViewer
STATE: active
EXPIRES (UTC): 2026-11-25T14:00:00Z
SOURCE: jit
CONDITION: jit until 2026-11-25T14:00:00Z: request.time < timestamp(\"2026-11-25T14:00:00Z\")
MEMBER
user:carol@example.com
user:dan@example.com
Removed 2 time-bound grants on 1 resource.
", "\
RESOURCE             ROLE                        MEMBER                  STATE   EXPIRES (UTC)         SOURCE  CONDITION
projects/my-project  roles/storage.objectViewer  user:carol@example.com  active  2026-11-25T14:00:00Z  jit     jit until 2026-11-25T14:00:00Z: request.time < timestamp(\"2026-11-25T14:00:00Z\")
projects/my-project  roles/storage.objectViewer  user:dan@example.com    active  2026-11-25T14:00:00Z  jit     jit until 2026-11-25T14:00:00Z: request.time < timestamp(\"2026-11-25T14:00:00Z\")
Removed 2 time-bound grants on 1 resource.
"), (&cleanup, "\
RESOURCE: projects/my-project
ROLE: roles/logging.viewer
STATE: expired
MEMBER                  EXPIRES               CONDITION
user:old@example.com    2026-11-25T09:00:00Z  jit until 2026-11-25T09:00:00Z:
                                              request.time <
                                              timestamp(\"2026-11-25T09:00:00Z\")
user:gimme@example.com  2026-11-25T11:30:00Z  granted by alice@example.com:
                                              request.time <
                                              timestamp('2026-11-25T11:30:00Z')
Removed 2 time-bound grants on 1 resource.
", "\
RESOURCE             ROLE                  MEMBER                  STATE    EXPIRES (UTC)         SOURCE  CONDITION
projects/my-project  roles/logging.viewer  user:old@example.com    expired  2026-11-25T09:00:00Z  jit     jit until 2026-11-25T09:00:00Z: request.time < timestamp(\"2026-11-25T09:00:00Z\")
projects/my-project  roles/logging.viewer  user:gimme@example.com  expired  2026-11-25T11:30:00Z  gimme   granted by alice@example.com: request.time < timestamp('2026-11-25T11:30:00Z')
Removed 2 time-bound grants on 1 resource.
")] {
        let at = |width| text(|w| output::removal_fit(out, Format::Table, Some(width), w));
        let narrow = at(80);
        unbroken(&narrow, &["projects/my-project", "roles/"]);
        same(&narrow, narrow_want);
        let wide = at(200);
        fits(&wide, 200);
        same(&wide, wide_want);
    }
    // What every row shares goes above the table before anything wraps (issue 19 item 7).
    let middle = text(|w| output::removal_fit(&revoke, Format::Table, Some(150), w));
    fits(&middle, 150);
    same(
        &middle,
        "\
RESOURCE: projects/my-project
ROLE: roles/storage.objectViewer
STATE: active
EXPIRES (UTC): 2026-11-25T14:00:00Z
SOURCE: jit
CONDITION: jit until 2026-11-25T14:00:00Z: request.time < timestamp(\"2026-11-25T14:00:00Z\")
MEMBER
user:carol@example.com
user:dan@example.com
Removed 2 time-bound grants on 1 resource.
",
    );
}

/// Through the binary: COLUMNS fits the table; a pipe without it gets every column.
#[test]
fn columns_fits_the_table_of_a_pipe() {
    let f = File::new(&hostile());
    let args = ["list", "--policy-file", f.p(), "--all", "--format", "table"];
    let full = jit(&args).run().ok().stdout;
    let header = full.lines().next().unwrap();
    assert!(
        header.starts_with("RESOURCE") && header.contains(" EXPIRES (LOCAL) ") && header.ends_with(" REASON"),
        "{full}"
    );
    let narrow = jit(&args).env("COLUMNS", "80").run().ok().stdout;
    assert!(narrow.lines().count() > 1 && narrow != full, "{narrow}");
    assert_no_raw_controls_in("stdout", &narrow);
    // Not a number, or zero: no width.
    for junk in ["", "0", "wide"] {
        same(&jit(&args).env("COLUMNS", junk).run().ok().stdout, &full);
    }
}

/// Issue 17 item 7: YAML output is read back by a YAML parser as written: a string a parser would
/// take for another type (`yes`, a date, `1_000`, `<<`, `=`, `~`) is quoted, and a bidi control
/// is escaped as JSON and the table escape it.
#[test]
fn yaml_quotes_what_a_parser_would_read_as_another_type() {
    let cond = |title: &str, description: &str| json!({"title": title, "description": description, "expression": "request.time < timestamp(\"2099-01-01T00:00:00Z\")"});
    let policy = json!({"version": 3, "etag": "BwY=", "bindings": [
        {"role": "roles/logging.viewer", "members": ["user:a@example.com"], "condition": cond("yes", "2026-12-07")},
        {"role": "roles/logging.viewer", "members": ["user:b@example.com"], "condition": cond("1_000", "<<")},
        {"role": "roles/logging.viewer", "members": ["user:c@example.com"], "condition": cond("=", "a\u{202e}b ~ null")},
        {"role": "roles/logging.viewer", "members": ["user:d@example.com"], "condition": cond("No", "~")},
    ]});
    let f = File::new(&policy);
    let yaml = jit(&["list", "--policy-file", f.p(), "--format", "yaml"]).run().ok().stdout;
    let json = jit(&["list", "--policy-file", f.p(), "--format", "json"]).run().ok().json();
    let back: Value = serde_norway::from_str(&yaml).unwrap();
    assert_eq!(back, json, "{yaml}");
    for quoted in [
        "title: \"yes\"",
        "description: \"2026-12-07\"",
        "title: \"1_000\"",
        "description: \"<<\"",
        "title: \"=\"",
        "title: \"No\"",
        "description: \"~\"",
        "description: \"a\\u202eb ~ null\"",
    ] {
        assert!(
            yaml.lines().any(|l| l.trim_start().trim_start_matches("- ") == quoted),
            "{quoted} in:\n{yaml}"
        );
    }
    assert!(!yaml.contains('\u{202e}'), "{yaml}");
    assert!(yaml.contains("member: user:a@example.com"), "{yaml}");
}

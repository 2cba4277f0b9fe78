//! Turns data/gcp-roles.json (Google's predefined roles, see data/README.md) into static tables in
//! OUT_DIR, so that jit parses nothing at run time and a command that does not look at roles pays
//! nothing for them.
//!
//! The tables hold offsets, not pointers: a `&str` in a static needs a dynamic relocation that the
//! loader applies at every start of a position-independent binary, whether or not the catalog is
//! used, and there would be ~20,000 of them. Offsets into one string and one byte array need none.
//!
//! Written to OUT_DIR:
//! - `roles_strings.txt`: every role name, title and stage and every permission name, concatenated;
//! - `roles_pairs.bin`: each role's permission indexes, u16 little-endian, role after role;
//! - `roles_table.rs`: the role rows (sorted by name, for a binary search), the permission
//!   offsets, and where the data came from.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

const DATA: &str = "data/gcp-roles.json";

fn main() {
    // JIT_ROLES_DATA: another file in the same format instead, for measuring what the catalog
    // costs (docs/performance.md builds once with an empty one); unset in every normal build.
    println!("cargo:rerun-if-env-changed=JIT_ROLES_DATA");
    let data = std::env::var("JIT_ROLES_DATA").unwrap_or_else(|_| DATA.to_string());
    println!("cargo:rerun-if-changed={data}");
    println!("cargo:rerun-if-changed=build.rs");
    let text = std::fs::read_to_string(&data).unwrap_or_else(|e| panic!("cannot read {data}: {e}"));
    let json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{data} is not JSON: {e}"));
    let source = json["source"].as_str().unwrap_or_else(|| panic!("{data}: no `source` string"));
    let permissions: Vec<&str> = json["permissions"]
        .as_array()
        .unwrap_or_else(|| panic!("{data}: no `permissions` array"))
        .iter()
        .map(|p| p.as_str().unwrap_or_else(|| panic!("{data}: a permission that is not a string: {p}")))
        .collect();
    assert!(
        permissions.windows(2).all(|w| w[0] < w[1]),
        "{data}: `permissions` must be sorted and unique (jit searches them by bisection)"
    );
    assert!(permissions.len() <= usize::from(u16::MAX), "{data}: more permissions than a u16 index holds");

    struct Role<'a> {
        name: &'a str,
        title: &'a str,
        stage: &'a str,
        permissions: Vec<u16>,
    }
    let mut roles: Vec<Role> = json["roles"]
        .as_array()
        .unwrap_or_else(|| panic!("{data}: no `roles` array"))
        .iter()
        .map(|r| {
            let field =
                |k: &str| r[k].as_str().unwrap_or_else(|| panic!("{data}: a role without `{k}`: {r}"));
            let mut indexes: Vec<u16> = r["permissions"]
                .as_array()
                .unwrap_or_else(|| panic!("{data}: a role without `permissions`: {r}"))
                .iter()
                .map(|i| {
                    i.as_u64()
                        .and_then(|i| u16::try_from(i).ok())
                        .filter(|&i| usize::from(i) < permissions.len())
                        .unwrap_or_else(|| panic!("{data}: `{i}` is not a permission index"))
                })
                .collect();
            indexes.sort_unstable();
            indexes.dedup();
            Role { name: field("name"), title: field("title"), stage: field("stage"), permissions: indexes }
        })
        .collect();
    roles.sort_by(|a, b| a.name.cmp(b.name));
    for w in roles.windows(2) {
        assert!(w[0].name != w[1].name, "{data}: role `{}` appears twice", w[0].name);
    }

    // One string for everything; a stage or title that repeats is stored once.
    let mut strings = String::new();
    let mut interned: HashMap<String, (usize, usize)> = HashMap::new();
    let mut put = |s: &str, dedup: bool| -> (usize, usize) {
        if dedup && let Some(&at) = interned.get(s) {
            return at;
        }
        let at = (strings.len(), s.len());
        strings.push_str(s);
        if dedup {
            interned.insert(s.to_string(), at);
        }
        at
    };
    let mut permission_offsets = Vec::with_capacity(permissions.len() + 1);
    for p in &permissions {
        permission_offsets.push(put(p, false).0);
    }
    // Permissions come first and back to back: the last one ends where their lengths add up.
    permission_offsets.push(permissions.iter().map(|p| p.len()).sum());

    let mut pairs = Vec::new();
    let mut rows = String::new();
    for r in &roles {
        let name = put(r.name, false);
        let title = put(r.title, true);
        let stage = put(r.stage, true);
        let start = pairs.len() / 2;
        for i in &r.permissions {
            pairs.extend_from_slice(&i.to_le_bytes());
        }
        writeln!(
            rows,
            "    Row {{ name: Str({}, {}), title: Str({}, {}), stage: Str({}, {}), permissions: ({start}, {}) }},",
            name.0,
            name.1,
            title.0,
            title.1,
            stage.0,
            stage.1,
            r.permissions.len()
        )
        .unwrap();
    }
    assert!(u32::try_from(strings.len()).is_ok(), "{data}: more text than u32 offsets address");

    let date = source
        .as_bytes()
        .windows(10)
        .position(|w| {
            w.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
        })
        .map(|at| &source[at..at + 10])
        .unwrap_or_else(|| panic!("{data}: `source` names no YYYY-MM-DD date"));

    let mut table = String::new();
    writeln!(table, "// Generated by build.rs from {data}; do not edit.").unwrap();
    writeln!(table, "pub(super) const SOURCE: &str = {source:?};").unwrap();
    writeln!(table, "pub(super) const DATE: &str = {date:?};").unwrap();
    writeln!(
        table,
        "pub(super) const STRINGS: &str = include_str!(concat!(env!(\"OUT_DIR\"), \"/roles_strings.txt\"));"
    )
    .unwrap();
    writeln!(
        table,
        "pub(super) const PAIRS: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/roles_pairs.bin\"));"
    )
    .unwrap();
    writeln!(table, "pub(super) static PERMISSIONS: [u32; {}] = [", permission_offsets.len()).unwrap();
    for chunk in permission_offsets.chunks(16) {
        let line: Vec<String> = chunk.iter().map(|o| o.to_string()).collect();
        writeln!(table, "    {},", line.join(", ")).unwrap();
    }
    writeln!(table, "];").unwrap();
    writeln!(table, "pub(super) static ROLES: [Row; {}] = [", roles.len()).unwrap();
    table.push_str(&rows);
    writeln!(table, "];").unwrap();

    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out);
    std::fs::write(out.join("roles_strings.txt"), strings).unwrap();
    std::fs::write(out.join("roles_pairs.bin"), pairs).unwrap();
    std::fs::write(out.join("roles_table.rs"), table).unwrap();
}

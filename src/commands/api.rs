//! The commands against Google's API (or an emulator).

use crate::config::{self, Config, Connection};
use crate::error::Error;

fn not_yet() -> Error {
    Error::usage("talking to Google's API is not wired in yet; use --policy-file")
}

pub fn grant(_config: &Config, _conn: &Connection, _g: &config::Grant) -> Result<i32, Error> {
    Err(not_yet())
}

pub fn list(_config: &Config, _conn: &Connection, _l: &config::List) -> Result<i32, Error> {
    Err(not_yet())
}

pub fn revoke(_config: &Config, _conn: &Connection, _r: &config::Revoke) -> Result<i32, Error> {
    Err(not_yet())
}

pub fn cleanup(_config: &Config, _conn: &Connection, _c: &config::Cleanup) -> Result<i32, Error> {
    Err(not_yet())
}

//! The one integration test binary: a module per feature.

mod support;

mod api;
mod completions;
mod examples;
mod fuzz_regressions;
mod history;
mod modes;
mod offline;
mod output;
mod pam;
mod properties;
mod reports;
mod roles;
mod tls;
mod ux;

mod harness;
mod kinds;

mod emulator_concurrency;
mod emulator_gcloud;
mod emulator_http;
mod emulator_kinds;
mod emulator_logging;
mod emulator_roles;
mod emulator_sdk;

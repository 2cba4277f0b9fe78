//! The one integration test binary: a module per feature.

mod support;

mod api;
mod audit;
mod completions;
mod consistency;
mod delegate;
mod engine;
mod examples;
mod exec;
mod fuzz_regressions;
mod gcloud_habits;
mod history;
mod identity;
mod modes;
mod notify;
mod offline;
mod output;
mod pam;
mod properties;
mod quota;
mod reports;
mod requests;
mod roles;
mod team;
mod tls;
mod ux;

mod asset;
mod harness;
mod kinds;

mod emulator_asset;
mod emulator_concurrency;
mod emulator_errors;
mod emulator_gcloud;
mod emulator_http;
mod emulator_kinds;
mod emulator_logging;
mod emulator_pam;
mod emulator_python;
mod emulator_roles;
mod emulator_sdk;

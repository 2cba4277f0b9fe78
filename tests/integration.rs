//! The one integration test binary: a module per feature.

mod support;

mod api;
mod completions;
mod offline;
mod properties;

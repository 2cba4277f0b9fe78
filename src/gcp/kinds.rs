//! How jit reaches a kind's service: the base URL from `--endpoint`, gcloud's override variable or
//! Google's host. Everything else about a kind is its definition in src/kinds/.

pub use crate::kinds::{AssetName, Conditions, ROWS, Row, Style, row};

/// The base URL of `row`'s API: `--endpoint` (one base for every service, Storage under
/// `{base}/storage/v1/`), else the service's gcloud override variable as gcloud reads it, else
/// Google's host.
///
/// gcloud (`apis_internal._BuildEndpointOverride`) takes the override as it is when the API's
/// base path is `/` or the override has a path of its own; otherwise it keeps the override's
/// scheme and host and puts the API's base path on them. So
/// `CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE=http://h:1/storage/v1/` and `http://h:1/` both give
/// `http://h:1/storage/v1/`.
pub fn base_url(row: &Row, endpoint_flag: Option<&str>, var: Option<&str>) -> String {
    // A base without a path of the API's own is kept as given, so that messages name the
    // endpoint as the user wrote it.
    if let Some(e) = endpoint_flag {
        if row.base_path.is_empty() {
            return e.to_string();
        }
        return format!("{}/{}", e.trim_end_matches('/'), row.base_path);
    }
    if let Some(o) = var.map(str::trim).filter(|o| !o.is_empty()) {
        let path_is_root = reqwest::Url::parse(o).map(|u| u.path() == "/").unwrap_or(false);
        if row.base_path.is_empty() || !path_is_root {
            return o.to_string();
        }
        return format!("{}/{}", o.trim_end_matches('/'), row.base_path);
    }
    if row.base_path.is_empty() {
        return format!("https://{}", row.host);
    }
    format!("https://{}/{}", row.host, row.base_path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::Kind;

    #[test]
    fn base_urls_follow_the_flag_then_gclouds_rule_then_google() {
        let storage = row(Kind::Bucket);
        let crm = row(Kind::Project);
        assert_eq!(base_url(storage, Some("http://h:1/"), None), "http://h:1/storage/v1/");
        assert_eq!(base_url(crm, Some("http://h:1"), None), "http://h:1");
        assert_eq!(base_url(storage, None, Some("http://h:1/storage/v1/")), "http://h:1/storage/v1/");
        assert_eq!(base_url(storage, None, Some("http://h:1/")), "http://h:1/storage/v1/");
        assert_eq!(base_url(storage, None, Some("http://h:1/other/")), "http://h:1/other/");
        assert_eq!(base_url(row(Kind::Secret), None, Some("http://h:2/")), "http://h:2/");
        assert_eq!(base_url(storage, None, None), "https://storage.googleapis.com/storage/v1/");
        assert_eq!(base_url(row(Kind::RunService), None, Some(" ")), "https://run.googleapis.com");
        assert_eq!(base_url(crm, None, None), super::super::DEFAULT_ENDPOINT);
    }
}

//! `--cors ORIGIN|*`: off unless asked. A local API that answered every origin would let any
//! web page the user visits talk to it (and spend its GPU); `--cors` names the pages that
//! may (`http://localhost:3000`), or `*` for any.

use axum::http::{header, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

#[derive(Clone, Debug, PartialEq)]
pub enum CorsOrigins {
    Any,
    List(Vec<HeaderValue>),
}

impl CorsOrigins {
    /// The `--cors` values: `*`, or origins (`scheme://host[:port]`, also comma-separated).
    pub fn parse(values: &[String]) -> Result<Option<CorsOrigins>, String> {
        let mut origins = Vec::new();
        for v in values.iter().flat_map(|v| v.split(',')).map(str::trim) {
            if v == "*" {
                return Ok(Some(CorsOrigins::Any));
            }
            origins.push(origin(v)?);
        }
        Ok((!origins.is_empty()).then_some(CorsOrigins::List(origins)))
    }

    pub fn layer(&self) -> CorsLayer {
        let allow = match self {
            CorsOrigins::Any => AllowOrigin::any(),
            CorsOrigins::List(list) => AllowOrigin::list(list.clone()),
        };
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(Duration::from_secs(600))
    }
}

/// A browser's Origin is `scheme://host[:port]` with nothing after: anything else would never
/// match, so it is refused when the server starts.
fn origin(v: &str) -> Result<HeaderValue, String> {
    let rest = v
        .strip_prefix("http://")
        .or_else(|| v.strip_prefix("https://"));
    let ok = rest.is_some_and(|host| {
        !host.is_empty() && !host.contains(['/', '?', '#', ' ']) && !host.ends_with(':')
    });
    if !ok {
        return Err(format!(
            "--cors takes origins such as http://localhost:3000 (scheme, host and port, no \
             path) or *, got {v:?}"
        ));
    }
    HeaderValue::from_str(v).map_err(|e| format!("--cors {v:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_values() {
        assert_eq!(CorsOrigins::parse(&[]).unwrap(), None);
        assert_eq!(
            CorsOrigins::parse(&["*".into()]).unwrap(),
            Some(CorsOrigins::Any)
        );
        let list = CorsOrigins::parse(&["http://a:1, https://b".into()]).unwrap();
        assert_eq!(
            list,
            Some(CorsOrigins::List(vec![
                HeaderValue::from_static("http://a:1"),
                HeaderValue::from_static("https://b")
            ]))
        );
        for bad in ["localhost:3000", "http://a/", "http://", "ftp://a"] {
            assert!(CorsOrigins::parse(&[bad.into()]).is_err(), "{bad}");
        }
    }
}

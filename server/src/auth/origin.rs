//! Which web pages may act with a user's cookie: the server's own origin and an
//! explicit allow-list. No wildcard.

use axum::http::{HeaderMap, header};

#[derive(Clone, Debug, Default)]
pub struct OriginPolicy {
    allowed: Vec<String>,
}

impl OriginPolicy {
    pub fn new(allowed: &[String]) -> Self {
        let allowed = allowed
            .iter()
            .map(|origin| origin.trim().trim_end_matches('/').to_ascii_lowercase())
            .filter(|origin| !origin.is_empty())
            .collect();
        Self { allowed }
    }

    /// A request without an `Origin` header is not from a foreign page (browsers
    /// send one on every cross-origin request), so it passes.
    pub fn permits(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers
            .get(header::ORIGIN)
            .and_then(|value| value.to_str().ok())
        else {
            return true;
        };
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        is_same_origin(&origin, headers) || self.allowed.contains(&origin)
    }
}

/// The page came from this very server: its origin's host is our `Host`.
fn is_same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    ["http://", "https://"]
        .iter()
        .any(|scheme| origin.strip_prefix(scheme) == Some(host.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn own_origin_and_no_origin_pass() {
        let policy = OriginPolicy::default();
        assert!(policy.permits(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000")));
        assert!(policy.permits(&headers(None, "127.0.0.1:3000")));
    }

    #[test]
    fn foreign_origins_pass_only_when_listed() {
        let policy = OriginPolicy::new(&["https://chat.example.com/".into()]);
        assert!(policy.permits(&headers(Some("https://chat.example.com"), "127.0.0.1:3000")));
        assert!(!policy.permits(&headers(Some("https://evil.example"), "127.0.0.1:3000")));
        assert!(!policy.permits(&headers(Some("http://127.0.0.1:3001"), "127.0.0.1:3000")));
    }
}

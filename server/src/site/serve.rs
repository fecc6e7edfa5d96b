//! Answers what no route took: a file of the site, else the app's 404 page.
//!
//! An embedded file goes out as the variant the browser accepts (brotli, then
//! gzip, else as built), with an `ETag` so a revalidation is a `304`; how long
//! it may be kept is `http::caching`'s to say, as for every asset. A directory
//! is served by Leptos' handler (tower-http's `ServeDir`, precompressed
//! variants included), which also renders the 404 page.

use super::{Files, embedded};
use crate::state::AppState;
use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::Response,
};
use std::borrow::Cow;

pub async fn serve(State(state): State<AppState>, request: Request) -> Response {
    let wants_a_file = matches!(*request.method(), Method::GET | Method::HEAD);
    if wants_a_file
        && matches!(state.site_files, Files::Embedded { .. })
        && let Some(found) = from_memory(request.uri().path(), request.headers())
    {
        return found;
    }
    let uri = request.uri().clone();
    leptos_axum::file_and_error_handler::<AppState, _>(app::shell)(uri, State(state), request).await
}

/// The embedded file at `path`, in the encoding `headers` accept best.
fn from_memory(path: &str, headers: &HeaderMap) -> Option<Response> {
    let name = path.strip_prefix('/').filter(|name| !name.is_empty())?;
    let plain = embedded::file(name)?;
    let (file, coding) = [("br", "br"), ("gzip", "gz")]
        .into_iter()
        .filter(|(coding, _)| accepts(headers, coding))
        .find_map(|(coding, suffix)| {
            embedded::file(&format!("{name}.{suffix}")).map(|file| (file, Some(coding)))
        })
        .unwrap_or((plain, None));
    let etag = format!("\"{}\"", hex(&file.sha256[..12]));
    let mut response = Response::builder().header(header::ETAG, &etag);
    if let Some(coding) = coding {
        response = response.header(header::CONTENT_ENCODING, coding);
    }
    if matches(headers.get(header::IF_NONE_MATCH), &etag) {
        return response
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .ok();
    }
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    let body = match file.data {
        Cow::Borrowed(bytes) => Bytes::from_static(bytes),
        Cow::Owned(bytes) => Bytes::from(bytes),
    };
    response
        .header(header::CONTENT_TYPE, mime.as_ref())
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .ok()
}

/// Whether `Accept-Encoding` takes `coding` (named, with a weight above 0).
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|part| {
            let mut params = part.split(';').map(str::trim);
            let named = params
                .next()
                .is_some_and(|name| name.eq_ignore_ascii_case(coding));
            let weight = params
                .find_map(|param| param.strip_prefix("q="))
                .map_or(1.0, |q| q.parse::<f32>().unwrap_or(0.0));
            named && weight > 0.0
        })
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn matches(if_none_match: Option<&HeaderValue>, etag: &str) -> bool {
    if_none_match
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn an_encoding_is_taken_when_named_with_a_weight_above_zero() {
        let headers = with(header::ACCEPT_ENCODING, "gzip, deflate, br;q=0.9");
        assert!(accepts(&headers, "br"));
        assert!(accepts(&headers, "gzip"));
        let refused = with(header::ACCEPT_ENCODING, "br;q=0, gzip");
        assert!(!accepts(&refused, "br"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
        assert!(!accepts(&with(header::ACCEPT_ENCODING, "brotli"), "br"));
    }

    #[test]
    fn a_revalidation_names_the_etag_weak_or_strong() {
        let etag = "\"abc\"";
        let value = |text| Some(HeaderValue::from_static(text));
        assert!(matches(value("\"abc\"").as_ref(), etag));
        assert!(matches(value("\"x\", W/\"abc\"").as_ref(), etag));
        assert!(matches(value("*").as_ref(), etag));
        assert!(!matches(value("\"abd\"").as_ref(), etag));
        assert!(!matches(None, etag));
    }
}

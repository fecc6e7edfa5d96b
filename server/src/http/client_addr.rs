//! The address a request comes from, for throttling: the TCP peer, or (behind
//! a trusted reverse proxy, `--trust-forwarded-for`) the last address the
//! proxy appended to `X-Forwarded-For`.

use crate::state::AppState;
use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{Extensions, HeaderMap, request::Parts},
};
use std::{
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let trusted = state.settings.trust_forwarded_for;
        Ok(Self(client_addr(
            &parts.headers,
            &parts.extensions,
            trusted,
        )))
    }
}

/// Where a request (a page's, or a socket's handshake) comes from.
pub fn client_addr(
    headers: &HeaderMap,
    extensions: &Extensions,
    trust_forwarded_for: bool,
) -> IpAddr {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let forwarded = trust_forwarded_for
        .then(|| last_forwarded(headers))
        .flatten();
    // No peer only happens when the router is driven without a listener.
    forwarded
        .or(peer)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The right-most `X-Forwarded-For` entry: the one our own proxy wrote (the
/// ones before it are whatever the client claimed).
fn last_forwarded(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .next_back()
        .and_then(|addr| addr.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_proxy_written_entry_is_the_last_one() {
        let mut headers = HeaderMap::new();
        headers.append(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 10.0.0.1"),
        );
        headers.append("x-forwarded-for", HeaderValue::from_static("192.0.2.7"));
        assert_eq!(last_forwarded(&headers), Some("192.0.2.7".parse().unwrap()));
        assert_eq!(last_forwarded(&HeaderMap::new()), None);
    }
}

//! Where pushes may go. A subscription names its push service's endpoint,
//! and the server then sends requests there: so an endpoint must be
//! `https://` to a public address, never this machine or its network
//! (`--push-allow-http-loopback` lets tests stand in for the services on
//! loopback). The name is checked when the subscription comes, and every
//! address a request goes to is checked again as it is resolved.

use app::protocol::{PushSubscription, PushSubscriptionKeys};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::{
    Url,
    dns::{Addrs, Name, Resolve, Resolving},
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use web_push_native::{Auth, p256::PublicKey};

/// The longest endpoint taken (the services' are a few hundred bytes).
const MAX_ENDPOINT: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("{0}")]
    InvalidSubscription(&'static str),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// A subscription as the server will use it: its endpoint checked, its keys
/// decoded.
pub struct Checked {
    pub endpoint: Url,
    pub public_key: PublicKey,
    pub auth: Auth,
}

/// Checks a subscription the browser gave: the endpoint (see the module)
/// and the keys (a P-256 point, a 16-byte secret).
pub fn check_subscription(
    subscription: &PushSubscription,
    allow_http_loopback: bool,
) -> Result<Checked, PushError> {
    let endpoint = check_endpoint(&subscription.endpoint, allow_http_loopback)?;
    let (public_key, auth) = keys(&subscription.keys)?;
    Ok(Checked {
        endpoint,
        public_key,
        auth,
    })
}

/// The keys of a subscription, decoded.
pub fn keys(keys: &PushSubscriptionKeys) -> Result<(PublicKey, Auth), PushError> {
    let invalid = |_| PushError::InvalidSubscription("the keys are not base64url");
    let p256dh = URL_SAFE_NO_PAD
        .decode(keys.p256dh.trim_end_matches('='))
        .map_err(invalid)?;
    let auth = URL_SAFE_NO_PAD
        .decode(keys.auth.trim_end_matches('='))
        .map_err(invalid)?;
    let public_key = PublicKey::from_sec1_bytes(&p256dh)
        .map_err(|_| PushError::InvalidSubscription("p256dh is not a P-256 public key"))?;
    if auth.len() != 16 {
        return Err(PushError::InvalidSubscription("auth is not 16 bytes"));
    }
    Ok((public_key, Auth::clone_from_slice(&auth)))
}

/// The endpoint, if pushes may be sent there.
pub fn check_endpoint(endpoint: &str, allow_http_loopback: bool) -> Result<Url, PushError> {
    if endpoint.len() > MAX_ENDPOINT {
        return Err(PushError::InvalidSubscription("the endpoint is too long"));
    }
    let url = Url::parse(endpoint)
        .map_err(|_| PushError::InvalidSubscription("the endpoint is not a URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(PushError::InvalidSubscription(
            "the endpoint carries credentials",
        ));
    }
    let host = url
        .host()
        .ok_or(PushError::InvalidSubscription("the endpoint has no host"))?;
    let loopback = match host {
        url::Host::Domain(name) => {
            let name = name.to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                true
            } else if url.scheme() == "https" {
                return Ok(url);
            } else {
                false
            }
        }
        url::Host::Ipv4(ip) => {
            let ip = IpAddr::V4(ip);
            if url.scheme() == "https" && is_public(ip) {
                return Ok(url);
            }
            ip.is_loopback()
        }
        url::Host::Ipv6(ip) => {
            let ip = IpAddr::V6(ip);
            if url.scheme() == "https" && is_public(ip) {
                return Ok(url);
            }
            ip.is_loopback()
        }
    };
    if loopback && allow_http_loopback && matches!(url.scheme(), "http" | "https") {
        return Ok(url);
    }
    Err(PushError::InvalidSubscription(
        "the endpoint must be https:// to a public address",
    ))
}

/// An address on the internet at large: not this machine, its network, or
/// a range set aside.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(ip),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        // Shared address space (carrier NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // "This network", benchmarking, reserved.
        || a == 0
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

/// Resolves names as the system does, keeping only the addresses pushes may
/// go to (loopback too when tests stand in for the services).
struct PublicOnly {
    allow_loopback: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found
                .filter(|addr| is_public(addr.ip()) || (allow_loopback && addr.ip().is_loopback()))
                .collect();
            if allowed.is_empty() {
                return Err(format!("{} has no public address", name.as_str()).into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The client pushes go out on: the resolver above, no redirects (a service
/// that redirects is not followed elsewhere), a timeout on every push.
pub fn client(allow_http_loopback: bool) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .dns_resolver(std::sync::Arc::new(PublicOnly {
            allow_loopback: allow_http_loopback,
        }))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(super::deliver::TIMEOUT)
        .connect_timeout(super::deliver::TIMEOUT)
        .pool_max_idle_per_host(super::PER_SERVICE)
        .user_agent(concat!("parley/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_to_public_addresses_and_loopback_only_when_allowed() {
        let ok = |url: &str, allow| check_endpoint(url, allow).is_ok();
        assert!(ok("https://fcm.googleapis.com/fcm/send/abc", false));
        assert!(ok(
            "https://updates.push.services.mozilla.com/wpush/v2/x",
            false
        ));
        assert!(ok("https://8.8.8.8/push", false));
        assert!(!ok("http://fcm.googleapis.com/fcm/send/abc", false));
        assert!(!ok("https://127.0.0.1/push", false));
        assert!(!ok("https://10.0.0.7/push", false));
        assert!(!ok("https://192.168.1.1/push", false));
        assert!(!ok("https://169.254.169.254/latest/meta-data", false));
        assert!(!ok("https://[::1]/push", false));
        assert!(!ok("https://[fd00::1]/push", false));
        assert!(!ok("https://[::ffff:10.0.0.1]/push", false));
        assert!(!ok("https://localhost/push", false));
        assert!(!ok("https://user:pw@push.example.com/", false));
        assert!(!ok("ftp://push.example.com/", false));
        assert!(!ok("not a url", false));
        assert!(ok("http://127.0.0.1:4000/push", true));
        assert!(ok("http://localhost:4000/push", true));
        assert!(!ok("http://10.0.0.7/push", true));
    }
}

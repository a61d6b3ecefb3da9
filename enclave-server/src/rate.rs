//! Per-client rate limits on `/prove` and `/attestation`: one token bucket per client address.
//!
//! The client address is the TCP peer. `X-Forwarded-For` is read only when the peer is a trusted
//! proxy (`--trusted-proxies`); then the client is the rightmost address in the header that is
//! not itself a trusted proxy, so a client cannot pick its own key by sending the header.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

/// One route's limit: `per_minute` requests refill steadily, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per minute per client; 0 turns the limit off.
    pub per_minute: u32,
    /// Requests a client may make at once before the rate applies (at least 1).
    pub burst: u32,
}

impl RateLimit {
    /// No limit.
    pub const OFF: Self = Self {
        per_minute: 0,
        burst: 0,
    };
}

/// Token buckets for one route, keyed by client address.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// A limiter enforcing `limit`.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `client` at `now`.
    ///
    /// # Errors
    /// The whole seconds until the next token, when the client's bucket is empty.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        if self.limit.per_minute == 0 {
            return Ok(());
        }
        let burst = f64::from(self.limit.burst.max(1));
        let per_sec = f64::from(self.limit.per_minute) / 60.0;
        // A poisoned lock only means another request panicked mid-update; the map stays usable.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED_CLIENTS && !buckets.contains_key(&client) {
            // Forget clients whose buckets have refilled: they are indistinguishable from new.
            buckets.retain(|_, b| refilled(b, now, per_sec, burst) < burst);
            if buckets.len() >= MAX_TRACKED_CLIENTS {
                tracing::warn!(clients = buckets.len(), "rate limiter full, forgetting all");
                buckets.clear();
            }
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        bucket.tokens = refilled(bucket, now, per_sec, burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - bucket.tokens) / per_sec).ceil().max(1.0);
        Err(Duration::try_from_secs_f64(wait).map_or(u64::MAX, |d| d.as_secs()))
    }
}

fn refilled(bucket: &Bucket, now: Instant, per_sec: f64, burst: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    (bucket.tokens + elapsed * per_sec).min(burst)
}

/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or a bare address for one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// A `--trusted-proxies` entry that is not an address or CIDR network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an IP address or CIDR network: {0:?}")]
pub struct CidrError(String);

impl Cidr {
    /// True when `ip` lies in this network. IPv4-mapped IPv6 addresses count as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, CidrError> {
        let bad = || CidrError(text.to_owned());
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text.trim(), None),
        };
        let network = canonical(addr.parse::<IpAddr>().map_err(|_| bad())?);
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
        };
        Ok(Self { network, prefix })
    }
}

/// The address a request is rate limited under.
pub(crate) fn client_address(req: &HttpRequest, trusted: &[Cidr]) -> IpAddr {
    // In-process test requests have no peer; they share one key rather than escaping the limit.
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| canonical(a.ip()));
    if !trusted.iter().any(|net| net.contains(peer)) {
        return peer;
    }
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    // Walk from the nearest hop outwards; every hop but the last untrusted one was added by us.
    for value in req.headers().get_all("x-forwarded-for").rev() {
        let Ok(value) = value.to_str() else {
            return client;
        };
        for hop in value.rsplit(',') {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                return client;
            };
            client = canonical(ip);
            if !is_trusted(client) {
                return client;
            }
        }
    }
    client
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Clients tracked per route before refilled buckets are forgotten.
const MAX_TRACKED_CLIENTS: usize = 100_000;

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn bucket_allows_burst_then_rate() {
        let limiter = RateLimiter::new(RateLimit {
            per_minute: 60,
            burst: 3,
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.check(a, t0).unwrap();
        }
        assert_eq!(limiter.check(a, t0), Err(1));
        limiter.check(b, t0).unwrap();
        limiter.check(a, t0 + Duration::from_millis(1000)).unwrap();
        assert!(limiter.check(a, t0 + Duration::from_millis(1100)).is_err());

        let slow = RateLimiter::new(RateLimit {
            per_minute: 2,
            burst: 1,
        });
        slow.check(a, t0).unwrap();
        assert_eq!(slow.check(a, t0), Err(30));
        assert!(RateLimiter::new(RateLimit::OFF).check(a, t0).is_ok());
    }

    #[test]
    fn cidr_parsing_and_matching() {
        let net: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.0.9".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        let host: Cidr = "127.0.0.1".parse().unwrap();
        assert!(host.contains("127.0.0.1".parse().unwrap()));
        assert!(!host.contains("127.0.0.2".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        for bad in ["", "10.0.0.0/33", "::/129", "10.0.0/8", "x", "10.0.0.0/-1"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let proxy = "10.0.0.5:4000".parse().unwrap();
        let stranger = "198.51.100.7:4000".parse().unwrap();
        let trusted: Vec<Cidr> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();

        let spoofed = TestRequest::default()
            .peer_addr(stranger)
            .insert_header(("x-forwarded-for", "203.0.113.1"))
            .to_http_request();
        assert_eq!(client_address(&spoofed, &trusted), ip("198.51.100.7"));

        let proxied = TestRequest::default()
            .peer_addr(proxy)
            .insert_header(("x-forwarded-for", "203.0.113.1, 203.0.113.2, 10.0.0.9"))
            .to_http_request();
        assert_eq!(client_address(&proxied, &trusted), ip("203.0.113.2"));
        assert_eq!(client_address(&proxied, &[]), ip("10.0.0.5"));

        let garbage = TestRequest::default()
            .peer_addr(proxy)
            .insert_header(("x-forwarded-for", "not-an-ip"))
            .to_http_request();
        assert_eq!(client_address(&garbage, &trusted), ip("10.0.0.5"));

        let no_peer = TestRequest::default().to_http_request();
        assert_eq!(client_address(&no_peer, &trusted), ip("0.0.0.0"));
    }
}

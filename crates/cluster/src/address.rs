//! The addresses a cluster is given: `df://HOST:PORT` for clients, `HOST:PORT` for nodes.

use crate::error::ClusterError;

/// A host and a port, as `HOST:PORT` (a name, an IPv4 address, or `[IPv6]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl HostPort {
    /// Reads `HOST:PORT`; `what` names the address in the error (`scheduler address`).
    pub fn parse(text: &str, what: &'static str) -> Result<HostPort, ClusterError> {
        let bad = |reason: &str| ClusterError::Address {
            what,
            given: text.to_string(),
            reason: reason.to_string(),
        };
        let (host, port) = text
            .trim()
            .rsplit_once(':')
            .ok_or_else(|| bad("expected HOST:PORT, e.g. 127.0.0.1:50050"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad("the host is empty (expected HOST:PORT)"));
        }
        if host.contains('/') {
            return Err(bad("expected HOST:PORT without a scheme or path"));
        }
        let port = port
            .parse::<u16>()
            .map_err(|_| bad("the port is not a number from 0 to 65535"))?;
        Ok(HostPort {
            host: host.to_string(),
            port,
        })
    }

    /// This address, with a port the system has free on its host in place of port 0
    /// (asked of the system, then let go for the caller to bind: Ballista's executor
    /// binds its own ports and registers the ones it was given, so 0 would register as 0).
    pub fn with_free_port(&self, what: &'static str) -> Result<HostPort, ClusterError> {
        if self.port != 0 {
            return Ok(self.clone());
        }
        let port = std::net::TcpListener::bind((self.host.as_str(), 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| ClusterError::Address {
                what,
                given: self.to_string(),
                reason: format!("no free port on that host: {e}"),
            })?
            .port();
        Ok(HostPort {
            host: self.host.clone(),
            port,
        })
    }

    /// `http://HOST:PORT`, the form Ballista's gRPC clients take.
    pub fn http(&self) -> String {
        if self.host.contains(':') {
            format!("http://[{}]:{}", self.host, self.port)
        } else {
            format!("http://{}:{}", self.host, self.port)
        }
    }
}

impl std::fmt::Display for HostPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// A cluster as clients name it: `df://HOST:PORT`, the scheduler's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterUrl {
    pub scheduler: HostPort,
}

impl ClusterUrl {
    pub fn parse(text: &str) -> Result<ClusterUrl, ClusterError> {
        let rest = text
            .trim()
            .strip_prefix("df://")
            .ok_or_else(|| ClusterError::Address {
                what: "cluster URL",
                given: text.to_string(),
                reason: "expected df://HOST:PORT (the scheduler's address)".into(),
            })?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let scheduler = HostPort::parse(rest, "cluster URL").map_err(|e| match e {
            ClusterError::Address { reason, .. } => ClusterError::Address {
                what: "cluster URL",
                given: text.to_string(),
                reason: format!("{reason}; the form is df://HOST:PORT"),
            },
            other => other,
        })?;
        Ok(ClusterUrl { scheduler })
    }
}

impl std::fmt::Display for ClusterUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "df://{}", self.scheduler)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cluster_urls_and_names_what_is_wrong() {
        let u = ClusterUrl::parse("df://10.0.0.5:50050").unwrap();
        assert_eq!(u.scheduler.host, "10.0.0.5");
        assert_eq!(u.scheduler.port, 50050);
        assert_eq!(u.scheduler.http(), "http://10.0.0.5:50050");
        assert_eq!(u.to_string(), "df://10.0.0.5:50050");
        let v6 = ClusterUrl::parse("df://[::1]:7/").unwrap();
        assert_eq!(v6.scheduler.http(), "http://[::1]:7");
        for (bad, says) in [
            ("http://h:1", "df://HOST:PORT"),
            ("df://h", "HOST:PORT"),
            ("df://h:99999", "port"),
            ("df://:80", "host is empty"),
        ] {
            let e = ClusterUrl::parse(bad).unwrap_err().to_string();
            assert!(e.contains(says) && e.contains(bad), "{bad}: {e}");
        }
        let any = HostPort::parse("127.0.0.1:0", "bind address").unwrap();
        let free = any.with_free_port("bind address").unwrap();
        assert_eq!(free.host, "127.0.0.1");
        assert_ne!(free.port, 0);
        assert_eq!(free.with_free_port("bind address").unwrap(), free);
        let e = HostPort::parse("x:y", "scheduler address")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("scheduler address \"x:y\""), "{e}");
    }
}

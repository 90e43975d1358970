//! Where `--target` sends the requests: a URL as given, path and query
//! included (as wrk and oha take one), over HTTP or HTTPS.

use std::fmt;

use hyper::Uri;

/// A server of the user's, by URL.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// Scheme, authority, path and query, as given.
    uri: Uri,
    /// Accept any certificate (`--insecure`).
    pub insecure: bool,
}

impl Target {
    /// An `http://` or `https://` URL with a host; the path defaults to `/`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let expected = || {
            "must be an http:// or https:// URL such as http://127.0.0.1:8080/index.html"
                .to_string()
        };
        let uri: Uri = text.trim().parse().map_err(|_| expected())?;
        let (Some("http" | "https"), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(expected());
        };
        if authority.host().is_empty() {
            return Err(expected());
        }
        // `http://host` names the root, as a browser reads it.
        let uri = Uri::builder()
            .scheme(uri.scheme_str().unwrap_or("http"))
            .authority(authority.as_str())
            .path_and_query(uri.path_and_query().map_or("/", |p| p.as_str()))
            .build()
            .map_err(|_| expected())?;
        Ok(Self {
            uri,
            insecure: false,
        })
    }

    pub fn is_https(&self) -> bool {
        self.uri.scheme_str() == Some("https")
    }

    /// scheme://authority, which the paths are joined to.
    pub fn origin(&self) -> String {
        let scheme = self.uri.scheme_str().unwrap_or("http");
        format!("{scheme}://{}", self.authority())
    }

    /// host:port, as the Host header gives it.
    pub fn authority(&self) -> &str {
        self.uri.authority().map_or("", |a| a.as_str())
    }

    /// The host, an IPv6 address without its brackets.
    pub fn host(&self) -> &str {
        let host = self.uri.host().unwrap_or("");
        host.trim_start_matches('[').trim_end_matches(']')
    }

    /// The port given, or the scheme's.
    pub fn port(&self) -> u16 {
        let default = if self.is_https() { 443 } else { 80 };
        self.uri.port_u16().unwrap_or(default)
    }

    /// The path and query requested: `/` at least.
    pub fn path_and_query(&self) -> &str {
        self.uri.path_and_query().map_or("/", |p| p.as_str())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin(), self.path_and_query())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_keeps_its_path_and_query() {
        let t = Target::parse("http://127.0.0.1:8080/page/3.html?x=1").unwrap();
        assert_eq!(t.origin(), "http://127.0.0.1:8080");
        assert_eq!(t.path_and_query(), "/page/3.html?x=1");
        assert_eq!(t.to_string(), "http://127.0.0.1:8080/page/3.html?x=1");
        assert!(!t.is_https());
    }

    #[test]
    fn a_bare_host_is_its_root_and_https_is_taken() {
        let t = Target::parse("https://example.com").unwrap();
        assert_eq!(t.to_string(), "https://example.com/");
        assert!(t.is_https());
    }

    #[test]
    fn anything_but_an_http_or_https_url_is_refused() {
        for bad in [
            "127.0.0.1:8080",
            "ftp://example.com",
            "http://",
            "not a url",
        ] {
            let message = Target::parse(bad).expect_err(bad);
            assert!(message.contains("https://"), "{message}");
        }
    }
}

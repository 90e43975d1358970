//! A real nginx on loopback, for the tests: a configuration, a static site
//! and (for HTTPS) a certificate of the test's own, in a folder of its own;
//! no path of the machine's is used. `.ci/run` installs Debian's
//! nginx-light; elsewhere, a test without nginx says so and passes, except
//! under CI, where it fails.

// Each test binary that includes this uses what it needs of it.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The test site: its pages by path and the links each holds, relative,
/// absolute, with fragments, and some leading off the site.
pub const SITE: &[(&str, &[&str])] = &[
    (
        "docs/index.html",
        &[
            "a.html",
            "sub/b.html",
            "/docs/c.html#part",
            "https://example.com/",
        ],
    ),
    (
        "docs/a.html",
        &["index.html", "sub/b.html#top", "mailto:someone@example.com"],
    ),
    ("docs/c.html", &["./sub/d.html?page=2", "#top"]),
    ("docs/sub/b.html", &["../c.html", "//example.com/elsewhere"]),
    ("docs/sub/d.html", &["/docs/index.html", "e.html"]),
    ("docs/sub/e.html", &[]),
];

pub struct Nginx {
    dir: PathBuf,
    process: Child,
    pub port: u16,
    pub https: bool,
}

/// nginx's path, or `None` (and why) where it is not installed and this is
/// not CI.
pub fn installed() -> Option<PathBuf> {
    let found = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "nginx is not installed: .ci/run installs it (apt-get install nginx-light)"
        );
        eprintln!("SKIPPED: nginx is not installed (apt-get install nginx-light)");
    }
    found
}

impl Nginx {
    /// Serves `SITE` over plain HTTP, or HTTPS with a self-signed
    /// certificate for 127.0.0.1; `None` if nginx is not installed.
    pub fn start(https: bool) -> Option<Self> {
        let binary = installed()?;
        let dir = std::env::temp_dir().join(format!(
            "looptop-nginx-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        write_site(&dir.join("site"));
        let port = free_port();
        let listen = if https {
            let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
            std::fs::write(dir.join("cert.pem"), cert.cert.pem()).unwrap();
            std::fs::write(dir.join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
            format!(
                "listen 127.0.0.1:{port} ssl;\n\
                 ssl_certificate {d}/cert.pem;\n\
                 ssl_certificate_key {d}/key.pem;",
                d = dir.display()
            )
        } else {
            format!("listen 127.0.0.1:{port};")
        };
        let d = dir.display();
        let conf = format!(
            "daemon off;\n\
             worker_processes 1;\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n\
               access_log {d}/access.log;\n\
               client_body_temp_path {d}/body;\n\
               proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fastcgi;\n\
               types {{ text/html html; }}\n\
               server {{\n\
                 {listen}\n\
                 root {d}/site;\n\
               }}\n\
             }}\n"
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let process = Command::new(binary)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let nginx = Self {
            dir,
            process,
            port,
            https,
        };
        nginx.wait_until_listening();
        Some(nginx)
    }

    /// Serves `html` at `path` too.
    pub fn add_page(&self, path: &str, html: &str) {
        std::fs::write(self.dir.join("site").join(path), html).unwrap();
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}/{path}", self.port)
    }

    /// The access log's lines as (method and path, status), once nginx has
    /// stopped adding to it (it logs a request when its answer is done, or
    /// when the client goes away).
    pub fn requests(&self) -> Vec<(String, u16)> {
        let mut last = None;
        let started = Instant::now();
        loop {
            let log = std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default();
            if last.as_ref() == Some(&log) || started.elapsed() > Duration::from_secs(5) {
                return log.lines().map(parse_line).collect();
            }
            last = Some(log);
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM, which nginx passes on to its workers: a SIGKILL would
        // leave them running, orphaned.
        let pid = self.process.id() as libc::pid_t;
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.process.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `GET /docs/a.html` and 200 from a line of nginx's combined format:
/// `127.0.0.1 - - [date] "GET /docs/a.html HTTP/1.1" 200 2000 "-" "-"`.
fn parse_line(line: &str) -> (String, u16) {
    let mut quoted = line.split('"');
    let request = quoted.nth(1).unwrap_or_default();
    let request = request.rsplit_once(' ').map_or(request, |(r, _)| r);
    let status = quoted.next().unwrap_or_default().split_whitespace().next();
    let status = status.and_then(|s| s.parse().ok()).unwrap_or(0);
    (request.to_string(), status)
}

fn write_site(root: &Path) {
    for (path, links) in SITE {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let mut html = format!("<!doctype html><html><head><title>{path}</title></head><body>\n");
        for link in *links {
            html += &format!("<a href=\"{link}\">{link}</a>\n");
        }
        html += "</body></html>\n";
        std::fs::write(file, html).unwrap();
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

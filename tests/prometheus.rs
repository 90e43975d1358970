//! A real Prometheus (Debian's package, which `.ci/run` installs) scraping
//! `looptop --serve`, and promtool checking the shipped configuration and
//! alerting rules. Without Prometheus a test says SKIPPED and passes,
//! except under CI.

#[path = "support/run.rs"]
mod run;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use run::Killed;

/// `name`'s path, if installed; under CI it must be.
fn installed(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin").join(name);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{name} is not installed: .ci/run installs it (apt-get install prometheus)"
    );
    eprintln!("SKIPPED: {name} is not installed (apt-get install prometheus)");
    None
}

#[test]
fn promtool_passes_the_shipped_configuration_and_rules() {
    let Some(promtool) = installed("promtool") else {
        return;
    };
    for check in [
        ["check", "rules", "assets/prometheus/rules.yml"],
        ["check", "config", "assets/prometheus/prometheus.yml"],
    ] {
        let out = Command::new(&promtool).args(check).output().unwrap();
        assert!(
            out.status.success(),
            "promtool {check:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_real_prometheus_scrapes_every_workers_busy_ratio() {
    let Some(prometheus) = installed("prometheus") else {
        return;
    };
    let mut looptop = Command::new(env!("CARGO_BIN_EXE_looptop"))
        .args([
            "--headless",
            "--format",
            "text",
            "--workers",
            "2",
            "--serve",
            "127.0.0.1:0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let target = run::announced(looptop.stderr.take().unwrap(), "looptop: serving on ");
    let _looptop = Killed(looptop);

    let dir = std::env::temp_dir().join(format!("looptop-prometheus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: looptop\n    \
             static_configs:\n      - targets: [\"{target}\"]\n"
        ),
    )
    .unwrap();
    let web: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let server = Command::new(prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address={web}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Killed(server);
    let deadline = Instant::now() + Duration::from_secs(30);
    let query = "/api/v1/query?query=looptop_worker_busy_ratio";
    let series = loop {
        // Refused until Prometheus listens.
        let answer = std::net::TcpStream::connect(web)
            .map_or_else(|_| String::new(), |_| run::http(web, "GET", query).2);
        let found: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
        let result = found["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if result.len() == 2 || Instant::now() > deadline {
            break result;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(series.len(), 2, "one series a worker: {series:?}");
    for s in &series {
        assert_eq!(s["metric"]["job"], "looptop");
        let ratio: f64 = s["value"][1].as_str().unwrap().parse().unwrap();
        assert!((0.0..=1.0).contains(&ratio), "{s}");
    }
}

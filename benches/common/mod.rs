//! Shared by the benchmarks: start a `banpol` binary on a loopback port with a fresh data dir.
#![allow(dead_code)] // each benchmark uses a part of this

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct Node {
    pub child: Child,
    pub base: String,
    pub data: PathBuf,
    _dir: tempfile::TempDir,
}

/// A started process: the child, its HTTPS base URL and its sync URL (if it serves sync).
pub fn spawn(bin: &str, data: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (Child, String, String) {
    let mut child = Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args(["--listen", "127.0.0.1:0", "--no-demo"])
        .args(args)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start banpol");
    let (mut base, mut sync) = (String::new(), String::new());
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(u) = line.strip_prefix("serving ") {
            base = u.trim().to_owned();
        }
        if let Some(u) = line.strip_prefix("sync ") {
            sync = u.split_whitespace().next().unwrap_or_default().to_owned();
        }
        if line.starts_with("open ") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (child, base, sync)
}

impl Node {
    /// Starts `bin` with no demo data and these extra environment variables; returns once it
    /// serves.
    pub fn start(bin: &str, env: &[(&str, &str)]) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (child, base, _) = spawn(bin, &data, &["--sync-listen", "off"], env);
        Node { child, base, data, _dir: dir }
    }

    /// An HTTPS client that trusts this node's certificate, with a connection pool of `pool`.
    pub fn client(&self, pool: usize) -> reqwest::Client {
        let pem = std::fs::read(self.data.join("tls-cert.pem")).unwrap();
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .tls_built_in_root_certs(false)
            .pool_max_idle_per_host(pool)
            .build()
            .unwrap()
    }
}

impl Node {
    /// A staff client with its own cookie jar, logged in as `user`.
    pub async fn login(&self, user: &str, password: &str) -> reqwest::Client {
        login(&self.data, &self.base, user, password).await
    }
}

/// A staff client with its own cookie jar, logged in as `user` at the node serving `base` from
/// `data` (whose certificate it trusts, and only that one).
pub async fn login(data: &std::path::Path, base: &str, user: &str, password: &str) -> reqwest::Client {
    let pem = std::fs::read(data.join("tls-cert.pem")).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .tls_built_in_root_certs(false)
        .cookie_store(true)
        .build()
        .unwrap();
    let r = client
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login {user}");
    client
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

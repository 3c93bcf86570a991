//! Test fixtures: real `banpol` processes on loopback ports, talked to over real HTTPS.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_banpol");

/// A running node: its own data directory, a loopback port, and the first logins it printed.
pub struct TestNode {
    child: Option<Child>,
    pub dir: TempDir,
    pub base: String,
    pub passwords: HashMap<String, String>,
    /// the sync listener's URL (children connect here)
    pub sync_url: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

#[derive(Default)]
pub struct Options {
    pub demo: bool,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// leave `sync_listen` at its default (on demand) instead of an explicit `127.0.0.1:0`
    pub default_sync: bool,
}

impl Options {
    /// No intake rate limits: for tests that measure something else under load.
    pub fn unlimited() -> Options {
        Options {
            env: vec![
                ("BANPOL_INTAKE_LIMIT_PER_IP".into(), "off".into()),
                ("BANPOL_INTAKE_LIMIT_PER_PHONE".into(), "off".into()),
            ],
            ..Default::default()
        }
    }
}

impl TestNode {
    pub fn spawn() -> TestNode {
        Self::spawn_with(Options::default())
    }

    pub fn spawn_demo() -> TestNode {
        Self::spawn_with(Options { demo: true, ..Default::default() })
    }

    pub fn spawn_with(o: Options) -> TestNode {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut args = o.args.clone();
        if !o.demo {
            args.push("--no-demo".into());
        }
        if !o.default_sync && !args.iter().any(|a| a == "--sync-listen") {
            args.extend(["--sync-listen".into(), "127.0.0.1:0".into()]);
        }
        let mut n = TestNode {
            child: None,
            dir,
            base: String::new(),
            passwords: HashMap::new(),
            sync_url: String::new(),
            args,
            env: o.env,
        };
        n.start();
        n
    }

    /// The running process's id (to read its memory in /proc).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the node is running").id()
    }

    /// The running process's resident memory in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("VmRSS in /proc status")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts (or restarts) the process on the same data directory, on a fresh port.
    pub fn start(&mut self) {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir").arg(self.data_dir()).args(["--listen", "127.0.0.1:0"]).args(&self.args);
        cmd.env("RUST_LOG", "warn").envs(self.env.iter().cloned()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("start banpol");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(l) => l,
                Err(_) => {
                    let status = child.try_wait().ok().flatten();
                    panic!("banpol did not start within 30 s (exit status {status:?})");
                }
            };
            if let Some(rest) = line.strip_prefix("first login: user ") {
                let mut it = rest.split_whitespace();
                let user = it.next().unwrap().to_owned();
                let pw = it.nth(2).unwrap().to_owned();
                self.passwords.insert(user, pw);
            }
            if let Some(url) = line.strip_prefix("serving ") {
                self.base = url.trim().to_owned();
            }
            if let Some(rest) = line.strip_prefix("sync ") {
                self.sync_url = rest.split_whitespace().next().unwrap_or_default().to_owned();
            }
            if line.starts_with("open ") {
                break;
            }
        }
        // keep draining stdout so the child never blocks on a full pipe
        std::thread::spawn(move || for _ in rx {});
        self.child = Some(child);
    }

    /// Sets an environment variable for the next `start`.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().expect("kill -9");
            c.wait().unwrap();
        }
    }

    /// SIGTERM and wait; returns the exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        Command::new("kill").args(["-TERM", &c.id().to_string()]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(s) = c.try_wait().unwrap() {
                return s;
            }
            assert!(Instant::now() < deadline, "banpol did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the process to exit by itself (e.g. 75 after an update, for "systemd" to
    /// restart it); returns the exit status.
    pub fn wait_exit(&mut self, secs: u64) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(s) = c.try_wait().unwrap() {
                return s;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                panic!("banpol did not exit within {secs} s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs `banpol <args>` against this node's data directory with this node's environment.
    pub fn cli_env(&self, args: &[&str]) -> std::process::Output {
        Command::new(BIN)
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env("RUST_LOG", "warn")
            .envs(self.env.iter().cloned())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// A client that trusts this node's self-signed certificate (and only it).
    pub fn client(&self) -> Client {
        let pem = std::fs::read(self.data_dir().join("tls-cert.pem")).expect("node certificate");
        Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .tls_built_in_root_certs(false)
            .cookie_store(true)
            .timeout(Duration::from_secs(30))
            // the node closes a keep-alive connection after 5 idle seconds (actix's default):
            // never reuse one that old, or a request can race its close (a test that waits on a
            // slow subprocess between requests saw "connection closed before message completed")
            .pool_idle_timeout(Duration::from_secs(3))
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Runs `banpol <args>` against this node's data directory (with its node code).
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut all: Vec<&str> = Vec::new();
        if let Some(i) = self.args.iter().position(|a| a == "--node-code") {
            all.extend(["--node-code", self.args[i + 1].as_str()]);
        }
        all.extend_from_slice(args);
        cli_in(&self.data_dir(), &all, stdin)
    }

    /// Adds a user through the CLI and returns its password.
    pub fn add_user(&mut self, name: &str, role: &str, unit: Option<&str>) -> String {
        let pw = format!("pw-{name}-0123456789");
        let mut args = vec!["user", "add", name, "--role", role, "--password-stdin"];
        if let Some(u) = unit {
            args.extend(["--unit", u]);
        }
        let out = self.cli(&args, Some(&pw));
        assert!(out.status.success(), "user add failed: {}", String::from_utf8_lossy(&out.stderr));
        self.passwords.insert(name.to_owned(), pw.clone());
        pw
    }

    /// One login attempt; the response as it came.
    pub async fn try_login(&self, user: &str, password: &str) -> reqwest::Response {
        self.client()
            .post(self.url("/api/v1/session"))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, user: &str) -> Session {
        let pw = self.passwords.get(user).unwrap_or_else(|| panic!("no password for {user}")).clone();
        let client = self.client();
        let r = client
            .post(self.url("/api/v1/session"))
            .json(&json!({"username": user, "password": pw}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "login {user}");
        let me: Value = r.json().await.unwrap();
        Session { client, base: self.base.clone(), csrf: me["csrf_token"].as_str().unwrap().to_owned() }
    }

    /// Files a citizen report; returns (ticket, token).
    pub async fn report(&self, client: &Client, category: &str, description: &str) -> (String, String) {
        let r =
            client.post(self.url("/api/v1/reports")).json(&report_body(category, description)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: Value = r.json().await.unwrap();
        (v["ticket"].as_str().unwrap().to_owned(), v["token"].as_str().unwrap().to_owned())
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn cli_in(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut c = Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        writeln!(c.stdin.as_mut().unwrap(), "{s}").unwrap();
    }
    drop(c.stdin.take());
    c.wait_with_output().unwrap()
}

pub fn report_body(category: &str, description: &str) -> Value {
    report_from("0812-3456-7890", category, description)
}

pub fn report_from(phone: &str, category: &str, description: &str) -> Value {
    json!({
        "category": category,
        "description": description,
        "reporter": {"name": "Budi Santoso", "phone": phone},
        "location": {"regency": "Kota Palembang", "address": "Jl. Merdeka No. 1", "lat": -2.97, "lon": 104.76}
    })
}

/// A logged-in staff client.
pub struct Session {
    pub client: Client,
    pub base: String,
    pub csrf: String,
}

impl Session {
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self.client.get(format!("{}{}", self.base, path)).send().await.unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let r = self
            .client
            .post(format!("{}{}", self.base, path))
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .await
            .unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn act(&self, ticket: &str, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/cases/{ticket}/actions"), &body).await
    }

    pub async fn case(&self, ticket: &str) -> Value {
        let (s, v) = self.get(&format!("/api/v1/cases/{ticket}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }
}

/// Polls `f` until it returns `Some`, for at most `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "condition not reached within {secs} s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A loopback port that was free a moment ago (for a node that must keep its port across
/// restarts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A one-time enrollment token for the child `code` from the parent `hub` (`banpol node invite`).
pub fn invite(hub: &TestNode, code: &str) -> String {
    let out = hub.cli(&["node", "invite", code], None);
    assert!(out.status.success(), "invite: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find(|l| l.starts_with("banpol1.")).expect("a token line").trim().to_owned()
}

/// Enrolls `post` with the hub at `url` (the hub's sync URL, or a proxy in front of it).
pub fn join(post: &TestNode, url: &str, token: &str) {
    let out = post.cli(&["node", "join", url, token], None);
    assert!(out.status.success(), "join: {}", String::from_utf8_lossy(&out.stderr));
}

/// Enrolls `post` as the hub's child `code`.
pub fn enroll(hub: &TestNode, post: &TestNode, code: &str) {
    join(post, &hub.sync_url, &invite(hub, code));
}

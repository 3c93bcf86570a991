//! A real PostgreSQL server for the export tests and bench: Debian's binaries
//! (`/usr/lib/postgresql/*/bin`, package `postgresql`), a fresh cluster in a temporary directory
//! on a free loopback port, password (SCRAM) logins over TCP, stopped and removed on drop. The
//! server refuses to run as root, so as root every command runs as the `postgres` user.
#![allow(dead_code)] // the bench (benches/export.rs) uses a part of this

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const SUPERUSER: &str = "postgres";
pub const PASSWORD: &str = "pg-test-Secret-7";

pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    running: bool,
}

/// The newest installed server's binaries.
fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed: apt-get install postgresql (see .ci/run)")
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, p)| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().expect("no /usr/lib/postgresql/*/bin/initdb: apt-get install postgresql").1
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Postgres {
    /// Makes a cluster and starts it.
    pub fn start() -> Postgres {
        let dir = tempfile::Builder::new().prefix("banpol-pg").tempdir().expect("temp dir");
        let pg = Postgres { bin: bin_dir(), dir, port: free_port(), running: false };
        std::fs::write(pg.dir.path().join("pw"), PASSWORD).unwrap();
        if is_root() {
            let ok = Command::new("chown").arg("-R").arg("postgres:postgres").arg(pg.dir.path()).status().unwrap();
            assert!(ok.success(), "chown the PostgreSQL directory to postgres");
        }
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                SUPERUSER,
                "--pwfile",
                &format!("{}/pw", pg.dir.path().display()),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let mut pg = pg;
        pg.resume();
        pg
    }

    fn data(&self) -> String {
        format!("{}/data", self.dir.path().display())
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd.args(args).current_dir(self.dir.path()).stdin(Stdio::null()).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts the server again (on the same port) and waits until it takes connections.
    pub fn resume(&mut self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let log = format!("{}/log", self.dir.path().display());
        self.run("pg_ctl", &["start", "-w", "-t", "60", "-D", &self.data(), "-l", &log, "-o", &opts]);
        self.running = true;
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "PostgreSQL did not listen on {}", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server (`immediate`: as if it crashed).
    pub fn halt(&mut self, immediate: bool) {
        let mode = if immediate { "immediate" } else { "fast" };
        self.run("pg_ctl", &["stop", "-w", "-D", &self.data(), "-m", mode]);
        self.running = false;
    }

    /// The URL of database `db` for `user` with `password`.
    pub fn url_as(&self, user: &str, password: &str, db: &str) -> String {
        format!("postgres://{user}:{password}@127.0.0.1:{}/{db}?sslmode=disable", self.port)
    }

    pub fn url(&self, db: &str) -> String {
        self.url_as(SUPERUSER, PASSWORD, db)
    }

    /// A client of database `db` (its connection runs on the current runtime).
    pub async fn client(&self, db: &str) -> tokio_postgres::Client {
        let (c, conn) = tokio_postgres::connect(&self.url(db), tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        c
    }

    /// Creates database `db` and returns its URL.
    pub async fn create_db(&self, db: &str) -> String {
        let c = self.client("postgres").await;
        c.batch_execute(&format!("CREATE DATABASE {db}")).await.expect("create database");
        self.url(db)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.running {
            let exe = self.bin.join("pg_ctl");
            let data = self.data();
            let mut cmd = if is_root() {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(&exe);
                c
            } else {
                Command::new(&exe)
            };
            let _ = cmd.args(["stop", "-w", "-D", &data, "-m", "immediate"]).stderr(Stdio::null()).output();
        }
    }
}

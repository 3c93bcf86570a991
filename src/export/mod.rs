//! The export of the event log into PostgreSQL (`export_postgres`): a background task that
//! streams every flushed event of the store (this node's and, at a hub, every post's) into
//! `banpol.events`, the cases they touch into `banpol.cases`/`banpol.case_steps`, and each
//! origin's cursor into `banpol.export_cursor`, **in one database transaction per batch**: a
//! crash of either side leaves the cursor and the rows agreeing, so nothing is lost or written
//! twice (`event_id` is the primary key besides). The rows come from `service::export`, which
//! reads only flushed events and never takes the writer's lock: intake and sync never wait for
//! the export; it lags and catches up.
//!
//! An outer adapter like `sync/`: tokio-postgres (rustls, ring; no OpenSSL) is used here only.
//! A failure is retried with backoff (full jitter, 250 ms doubling to 30 s) unless it is
//! permanent (a malformed URL); the status (`service::export::Status`) and `/metrics` say why.

pub mod copy;
pub mod schema;

use crate::config::ExportConfig;
use crate::metrics;
use crate::model::export::Privacy;
use crate::service::export::{self as se, Batch, Cursors};
use crate::service::App;
use copy::Copy;
use futures_util::SinkExt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::sync::watch;
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

/// Events per batch (one transaction).
pub const BATCH: usize = 4000;
/// The pause after a batch shorter than `BATCH`, before the next read.
const CAUGHT_UP_PAUSE_MS: u64 = 200;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("export_postgres is not a valid PostgreSQL URL ({0}): use postgres://USER:PASSWORD@HOST:PORT/DB")]
    BadUrl(String),
    #[error("cannot reach PostgreSQL at {target}: {why}")]
    Unreachable { target: String, why: String },
    #[error("PostgreSQL at {target} refused the login: {why}")]
    Refused { target: String, why: String },
    #[error(
        "the database's banpol schema is at version {db}, newer than this banpol's {binary}: update banpol, \
         or export into another database"
    )]
    SchemaNewer { db: u32, binary: u32 },
    #[error("PostgreSQL is out of disk space: {0}")]
    DiskFull(String),
    #[error("PostgreSQL: {0}")]
    Db(String),
    #[error("reading the store: {0}")]
    Store(String),
    #[error(
        "this post has no pseudonym key yet: it comes from the hub at the next sync hello (is the hub reachable?)"
    )]
    NoKey,
    #[error("PostgreSQL holds a row of a case this batch writes as new ({0}): writing every case as a replacement")]
    CaseExists(String),
}

impl ExportError {
    /// A retry cannot fix it: the configuration must change.
    pub fn is_permanent(&self) -> bool {
        matches!(self, ExportError::BadUrl(_))
    }
}

/// The database as `host:port/db`, without user or password.
fn target_of(c: &tokio_postgres::Config) -> String {
    let host = c
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(s) => s.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = c.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", c.get_dbname().unwrap_or("-"))
}

/// The full text of a driver error (its database message, code and detail where it has them).
fn text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => {
            let mut s = format!("{} ({})", d.message(), d.code().code());
            if let Some(detail) = d.detail() {
                s.push_str(&format!(": {detail}"));
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(x) = src {
                s.push_str(&format!(": {x}"));
                src = x.source();
            }
            s
        }
    }
}

fn db(e: tokio_postgres::Error) -> ExportError {
    match e.code() {
        Some(c) if *c == SqlState::DISK_FULL || *c == SqlState::OUT_OF_MEMORY => ExportError::DiskFull(text(&e)),
        _ => ExportError::Db(text(&e)),
    }
}

/// Runs the export until `stop`: never returns early, whatever PostgreSQL does.
pub async fn run(app: Arc<App>, cfg: ExportConfig, mut stop: watch::Receiver<bool>) {
    let pg = match tokio_postgres::Config::from_str(cfg.url.expose()) {
        Ok(c) => c,
        Err(e) => {
            let err = ExportError::BadUrl(e.to_string());
            failed(&app, &err, "stopped");
            tracing::error!(error = %err, "export to PostgreSQL is off until the URL is fixed");
            let _ = stop.changed().await;
            return;
        }
    };
    let target = target_of(&pg);
    if cfg.personal_data {
        tracing::warn!(%target, "export_personal_data = true: reporters' phone numbers, names, descriptions and addresses are exported as they are");
    }
    app.export.update(|s| {
        s.state = "connecting".into();
        s.target = target.clone();
        s.personal_data = cfg.personal_data;
    });
    let key = loop {
        let why = match se::pseudonym_key(&app) {
            Ok(Some(k)) => break k,
            Ok(None) => ExportError::NoKey,
            Err(e) => ExportError::Store(e.to_string()),
        };
        failed(&app, &why, "waiting");
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = stop.changed() => return,
        }
    };
    let privacy = Privacy { personal: cfg.personal_data, key };
    let mut backoff = Duration::from_millis(250);
    // what the database held when last read: the lag while it cannot be reached
    let mut cursors: Option<Cursors> = None;
    let replace_all = Arc::new(AtomicBool::new(false));
    loop {
        let r = tokio::select! {
            r = session(&app, &pg, &target, &privacy, &mut backoff, &mut cursors, &replace_all) => r,
            _ = stop.changed() => return,
        };
        if let Err(e) = r {
            tracing::warn!(error = %e, "export to PostgreSQL failed; retrying");
            if let ExportError::CaseExists(_) = e {
                replace_all.store(true, Ordering::Relaxed);
            }
            failed(&app, &e, "retrying");
            if let Some(c) = &cursors {
                let (lag, secs) = se::lag(&app, c);
                app.export.update(|s| {
                    s.lag_events = lag;
                    s.lag_seconds = secs;
                });
                app.metrics.set(&metrics::EXPORT_LAG_EVENTS, &[], lag as f64);
                app.metrics.set(&metrics::EXPORT_LAG_SECONDS, &[], secs);
            }
        }
        let wait = backoff.mul_f64(rand::random::<f64>());
        backoff = (backoff * 2).min(Duration::from_secs(30));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

fn failed(app: &App, e: &ExportError, state: &str) {
    let at = crate::service::now().0;
    app.export.update(|s| {
        s.state = state.into();
        s.last_error = Some(e.to_string());
        s.last_error_at = Some(at);
    });
    app.metrics.set(&metrics::EXPORT_UP, &[], 0.0);
    app.metrics.set(&metrics::EXPORT_LAST_ERROR, &[], at as f64 / 1000.0);
}

/// A batch as the writer sends it: the rows already in COPY format.
struct Encoded {
    events: u64,
    events_copy: Vec<u8>,
    new_cases: Vec<u8>,
    cases: Vec<u8>,
    /// the tickets of `cases` (their step rows are replaced)
    tickets: Vec<String>,
    steps: Vec<u8>,
    cursors: Vec<(String, u64, u64)>,
}

fn encode(node: &str, b: &Batch) -> Encoded {
    // sized from the rows (about 600 bytes an event, 400 a case, 60 a step row)
    let mut ev = Copy::with_capacity(b.events.len() * 640);
    let mut new = Copy::with_capacity(b.new_cases.len() * 448);
    let mut cases = Copy::with_capacity(b.cases.len() * 448);
    let mut steps = Copy::with_capacity(b.steps.len() * 64);
    for e in &b.events {
        copy::event(&mut ev, node, e);
    }
    for c in &b.new_cases {
        copy::case(&mut new, node, c);
    }
    for c in &b.cases {
        copy::case(&mut cases, node, c);
    }
    for s in &b.steps {
        copy::step(&mut steps, s);
    }
    let some = |c: Copy| if c.rows() > 0 { c.finish() } else { Vec::new() };
    Encoded {
        events: b.events.len() as u64,
        events_copy: some(ev),
        new_cases: some(new),
        cases: some(cases),
        tickets: b.cases.iter().map(|c| c.ticket.clone()).collect(),
        steps: some(steps),
        cursors: b.cursors.clone(),
    }
}

/// Reads and encodes the next batches from `cursors` on while the writer writes the one
/// before (one waits ready); ends with the session (dropped: aborted).
struct Reader {
    rx: mpsc::Receiver<Result<Encoded, ExportError>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Reader {
    fn start(app: Arc<App>, mut cursors: Cursors, privacy: Privacy, replace_all: Arc<AtomicBool>) -> Reader {
        let (tx, rx) = mpsc::channel(1);
        let task = tokio::spawn(async move {
            loop {
                let r = {
                    let (app, c, p, all) = (app.clone(), cursors.clone(), privacy.clone(), replace_all.clone());
                    tokio::task::spawn_blocking(move || {
                        let b = se::next_batch(&app, &c, BATCH, &p, all.load(Ordering::Relaxed))
                            .map_err(|e| ExportError::Store(e.to_string()))?;
                        Ok(encode(app.node.as_str(), &b))
                    })
                    .await
                    .unwrap_or_else(|e| Err(ExportError::Store(e.to_string())))
                };
                let n = match &r {
                    Ok(e) => {
                        for (origin, _, seq) in &e.cursors {
                            let c = cursors.entry(origin.clone()).or_default();
                            *c = (*c).max(*seq);
                        }
                        e.events as usize
                    }
                    Err(_) => 0,
                };
                let failed = r.is_err();
                if tx.send(r).await.is_err() || failed {
                    return;
                }
                // a short batch (caught up): let events gather before the next read, so that
                // intake at full speed meets a few large transactions a second, not fifty small
                // ones (each a COPY per table and a commit); the lag stays under a second
                if n < BATCH {
                    tokio::time::sleep(Duration::from_millis(if n == 0 { 250 } else { CAUGHT_UP_PAUSE_MS })).await;
                }
            }
        });
        Reader { rx, task }
    }

    async fn next(&mut self) -> Result<Encoded, ExportError> {
        self.rx.recv().await.unwrap_or_else(|| Err(ExportError::Store("the export's reader stopped".into())))
    }
}

/// Connects, migrates, then exports batch after batch until an error: the next batch is read
/// while this one is written.
async fn session(
    app: &Arc<App>,
    pg: &tokio_postgres::Config,
    target: &str,
    privacy: &Privacy,
    backoff: &mut Duration,
    known: &mut Option<Cursors>,
    replace_all: &Arc<AtomicBool>,
) -> Result<(), ExportError> {
    let mut client = connect(pg, target).await?;
    let (was, version) = migrate(&mut client, app.node.as_str()).await?;
    if was == 1 {
        // rows written under version 1 lack the state trail the recap functions read
        tracing::info!("export: the schema went from version 1 to {version}; exporting this node's rows again");
        app.export.ask_rebuild();
    }
    client.batch_execute(schema::STAGING).await.map_err(db)?;
    let mut cursors = load_cursors(&client).await?;
    *known = Some(cursors.clone());
    app.export.update(|s| {
        s.schema_version = Some(version);
        s.state = "exporting".into();
    });
    let mut window = (Instant::now(), 0u64);
    loop {
        if app.export.take_rebuild() {
            rebuild(&mut client, app.node.as_str()).await?;
            cursors.clear();
            *known = Some(Cursors::new());
            tracing::info!("export rebuild: this node's rows were removed; exporting everything again");
        }
        let mut reader = Reader::start(app.clone(), cursors.clone(), privacy.clone(), replace_all.clone());
        while !app.export.rebuild_asked() {
            let batch = reader.next().await?;
            let n = batch.events;
            if n > 0 {
                write(&mut client, app.node.as_str(), &batch).await?;
                for (origin, _, seq) in &batch.cursors {
                    let c = cursors.entry(origin.clone()).or_default();
                    *c = (*c).max(*seq);
                }
                *known = Some(cursors.clone());
            }
            *backoff = Duration::from_millis(250);
            // what waits now, this batch written (events flushed meanwhile included)
            let (lag, lag_s) = se::lag(app, &cursors);
            let now = crate::service::now().0;
            window.1 += n;
            let secs = window.0.elapsed().as_secs_f64();
            let rate = if secs > 0.0 { window.1 as f64 / secs } else { 0.0 };
            if secs > 5.0 {
                window = (Instant::now(), 0);
            }
            app.export.update(|s| {
                s.state = if lag == 0 { "caught_up" } else { "exporting" }.into();
                s.exported += n;
                s.rate = rate;
                s.lag_events = lag;
                s.lag_seconds = lag_s;
                if n > 0 {
                    s.last_batch_at = Some(now);
                }
            });
            let m = &app.metrics;
            m.set(&metrics::EXPORT_UP, &[], 1.0);
            m.set(&metrics::EXPORT_LAG_EVENTS, &[], lag as f64);
            m.set(&metrics::EXPORT_LAG_SECONDS, &[], lag_s);
            m.set(&metrics::EXPORT_RATE, &[], rate);
            m.set(&metrics::EXPORT_EXPORTED, &[], app.export.status().exported as f64);
        }
    }
}

async fn connect(pg: &tokio_postgres::Config, target: &str) -> Result<Client, ExportError> {
    let mut pg = pg.clone();
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(Duration::from_secs(10));
    }
    pg.application_name("banpol-export");
    let (client, conn) = pg.connect(tls()).await.map_err(|e| {
        let why = text(&e);
        match e.code() {
            Some(c)
                if *c == SqlState::INVALID_PASSWORD
                    || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
                    || *c == SqlState::INVALID_CATALOG_NAME =>
            {
                ExportError::Refused { target: target.to_owned(), why }
            }
            Some(_) => ExportError::Refused { target: target.to_owned(), why },
            None => ExportError::Unreachable { target: target.to_owned(), why },
        }
    })?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "export: the PostgreSQL connection ended");
        }
    });
    Ok(client)
}

/// TLS to the database when it offers it (`sslmode=prefer`, the default) or the URL requires
/// it (`sslmode=require`): rustls with ring and the Mozilla roots.
fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_postgres_rustls::MakeRustlsConnect::new(cfg)
}

/// Brings the schema to this binary's version; refuses a newer one. Returns the version it
/// found and the version it left.
pub async fn migrate(client: &mut Client, node: &str) -> Result<(u32, u32), ExportError> {
    let tx = client.transaction().await.map_err(db)?;
    tx.batch_execute(schema::LOCK).await.map_err(db)?;
    tx.batch_execute(schema::BOOTSTRAP).await.map_err(db)?;
    let row = tx.query_one("SELECT coalesce(max(version), 0) FROM banpol.schema_migrations", &[]).await.map_err(db)?;
    let at: i32 = row.get(0);
    let (at, binary) = (at.max(0) as u32, schema::version());
    if at > binary {
        return Err(ExportError::SchemaNewer { db: at, binary });
    }
    for v in at + 1..=binary {
        tx.batch_execute(schema::MIGRATIONS[v as usize - 1]).await.map_err(db)?;
        let by = format!("banpol {} at {node}", env!("CARGO_PKG_VERSION"));
        tx.execute("INSERT INTO banpol.schema_migrations (version, applied_by) VALUES ($1, $2)", &[&(v as i32), &by])
            .await
            .map_err(db)?;
        tracing::info!(version = v, "export: database schema migrated");
    }
    tx.commit().await.map_err(db)?;
    Ok((at, binary))
}

async fn load_cursors(client: &Client) -> Result<Cursors, ExportError> {
    let rows = client
        .query("SELECT origin, max(last_seq) FROM banpol.export_cursor GROUP BY origin", &[])
        .await
        .map_err(db)?;
    Ok(rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1).max(0) as u64)).collect())
}

/// Removes this node's rows (events, cases, steps, cursors) in one transaction.
async fn rebuild(client: &mut Client, node: &str) -> Result<(), ExportError> {
    let tx = client.transaction().await.map_err(db)?;
    tx.execute(
        "DELETE FROM banpol.case_steps WHERE ticket IN (SELECT ticket FROM banpol.cases WHERE exporter = $1)",
        &[&node],
    )
    .await
    .map_err(db)?;
    for t in ["events", "cases", "export_cursor"] {
        tx.execute(&format!("DELETE FROM banpol.{t} WHERE exporter = $1"), &[&node]).await.map_err(db)?;
    }
    tx.commit().await.map_err(db)
}

fn ms(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Sends one COPY payload (`FROM STDIN (FORMAT binary)`) within the transaction.
async fn copy_in(
    tx: &tokio_postgres::Transaction<'_>,
    table: &str,
    columns: &str,
    rows: &[u8],
) -> Result<(), ExportError> {
    if rows.is_empty() {
        return Ok(());
    }
    let sink = tx
        .copy_in::<_, bytes::Bytes>(&format!("COPY {table} ({columns}) FROM STDIN (FORMAT binary)"))
        .await
        .map_err(db)?;
    let mut sink = std::pin::pin!(sink);
    sink.send(bytes::Bytes::copy_from_slice(rows)).await.map_err(db)?;
    sink.finish().await.map_err(db)?;
    Ok(())
}

/// A case row the batch writes as new is in the database already (not expected: see
/// `service::export::next_batch`): said apart, so the next attempt replaces every case.
fn case_exists(e: tokio_postgres::Error) -> ExportError {
    match e.as_db_error() {
        Some(d) if *d.code() == SqlState::UNIQUE_VIOLATION && d.constraint() == Some("cases_pkey") => {
            ExportError::CaseExists(d.message().to_owned())
        }
        _ => db(e),
    }
}

const UPSERT_CURSORS: &str = "
INSERT INTO banpol.export_cursor (origin, epoch, exporter, last_seq)
SELECT o, e, $1, s FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS x(o, e, s)
ON CONFLICT (origin, epoch) DO UPDATE SET last_seq = excluded.last_seq, exporter = excluded.exporter,
    updated_at = now()";

/// Writes one batch and the cursors after it in one transaction: the events, the new cases and
/// the step rows by `COPY`, the other cases through the staging table (an upsert).
async fn write(client: &mut Client, node: &str, b: &Encoded) -> Result<(), ExportError> {
    let tx = client.transaction().await.map_err(db)?;
    copy_in(&tx, "banpol.events", copy::EVENT_COLUMNS, &b.events_copy).await?;
    if !b.new_cases.is_empty() {
        let sink = tx
            .copy_in::<_, bytes::Bytes>(&format!(
                "COPY banpol.cases ({}) FROM STDIN (FORMAT binary)",
                copy::CASE_COLUMNS
            ))
            .await
            .map_err(db)?;
        let mut sink = std::pin::pin!(sink);
        sink.send(bytes::Bytes::copy_from_slice(&b.new_cases)).await.map_err(db)?;
        sink.finish().await.map_err(case_exists)?;
    }
    if !b.cases.is_empty() {
        copy_in(&tx, "pg_temp.cases_in", copy::CASE_COLUMNS, &b.cases).await?;
        tx.batch_execute(&schema::upsert_cases(copy::CASE_COLUMNS)).await.map_err(db)?;
        tx.execute("DELETE FROM banpol.case_steps WHERE ticket = ANY($1)", &[&b.tickets]).await.map_err(db)?;
    }
    copy_in(&tx, "banpol.case_steps", copy::STEP_COLUMNS, &b.steps).await?;
    let cur = &b.cursors;
    tx.execute(
        UPSERT_CURSORS,
        &[
            &node,
            &cur.iter().map(|c| c.0.clone()).collect::<Vec<_>>(),
            // epochs are random u64: kept bit for bit
            &cur.iter().map(|c| c.1 as i64).collect::<Vec<_>>(),
            &cur.iter().map(|c| ms(c.2)).collect::<Vec<_>>(),
        ],
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

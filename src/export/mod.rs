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

pub mod schema;

use crate::config::ExportConfig;
use crate::metrics;
use crate::model::export::Privacy;
use crate::service::export::{self as se, Batch, Cursors};
use crate::service::App;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

/// Events per batch (one transaction).
pub const BATCH: usize = 4000;

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
        match se::pseudonym_key(&app).await {
            Ok(k) => break k,
            Err(e) => {
                failed(&app, &ExportError::Store(e.to_string()), "retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    };
    let privacy = Privacy { personal: cfg.personal_data, key };
    let mut backoff = Duration::from_millis(250);
    // what the database held when last read: the lag while it cannot be reached
    let mut cursors: Option<Cursors> = None;
    loop {
        let r = tokio::select! {
            r = session(&app, &pg, &target, &privacy, &mut backoff, &mut cursors) => r,
            _ = stop.changed() => return,
        };
        if let Err(e) = r {
            tracing::warn!(error = %e, "export to PostgreSQL failed; retrying");
            failed(&app, &e, "retrying");
            if let Some(c) = &cursors {
                let lag = se::lag(&app, c);
                app.export.update(|s| s.lag_events = lag);
                app.metrics.set(&metrics::EXPORT_LAG_EVENTS, &[], lag as f64);
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

/// Connects, migrates, then exports batch after batch until an error.
async fn session(
    app: &Arc<App>,
    pg: &tokio_postgres::Config,
    target: &str,
    privacy: &Privacy,
    backoff: &mut Duration,
    known: &mut Option<Cursors>,
) -> Result<(), ExportError> {
    let mut client = connect(pg, target).await?;
    let version = migrate(&mut client, app.node.as_str()).await?;
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
        let batch = {
            let (app, cursors, privacy) = (app.clone(), cursors.clone(), privacy.clone());
            tokio::task::spawn_blocking(move || se::next_batch(&app, &cursors, BATCH, &privacy))
                .await
                .map_err(|e| ExportError::Store(e.to_string()))?
                .map_err(|e| ExportError::Store(e.to_string()))?
        };
        let n = batch.events.len() as u64;
        if n > 0 {
            write(&mut client, app.node.as_str(), &batch).await?;
            for (origin, _, seq) in &batch.cursors {
                let c = cursors.entry(origin.clone()).or_default();
                *c = (*c).max(*seq);
            }
            *known = Some(cursors.clone());
        }
        *backoff = Duration::from_millis(250);
        let now = crate::service::now().0;
        let lag = batch.lag_events.saturating_sub(n);
        let lag_s = if lag == 0 { 0.0 } else { batch.oldest_ms.map_or(0.0, |o| now.saturating_sub(o) as f64 / 1000.0) };
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
        if (n as usize) < BATCH {
            tokio::time::sleep(Duration::from_millis(if n == 0 { 250 } else { 20 })).await;
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

/// Brings the schema to this binary's version; refuses a newer one. Returns the version.
pub async fn migrate(client: &mut Client, node: &str) -> Result<u32, ExportError> {
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
    Ok(binary)
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

const INSERT_EVENTS: &str = "
INSERT INTO banpol.events (event_id, exporter, origin, seq, epoch, hlc, at_ms, at, ticket, kind, actor_kind,
    actor_role, actor_unit, sop_version, drill, fields)
SELECT e, $1, o, s, ep, h, a, to_timestamp(a / 1000.0), t, k, ak, ar, au, sv, d, f::jsonb
FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[],
    $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bool[], $15::text[])
    AS x(e, o, s, ep, h, a, t, k, ak, ar, au, sv, d, f)";

const UPSERT_CASES: &str = "
INSERT INTO banpol.cases (ticket, exporter, origin, owner, category, priority, status, channel, unit, regency,
    regency_code, district_code, village_code, sop_version, created_ms, created_at, created_day, updated_at,
    verified_at, rejected_at, dispatched_at, acknowledged_at, in_progress_at, resolved_at, closed_at,
    reject_reason, duplicate, emergency_unverified, escalations, conflicts, reopened, prank_score,
    reporter_phone_key, reporter_name_key, reporter_phone, reporter_name, description, address)
SELECT t, $1, o, ow, ca, pr, st, ch, u, r, rc, dc, vc, sv, cr, to_timestamp(cr / 1000.0),
    (to_timestamp(cr / 1000.0) AT TIME ZONE 'Asia/Jakarta')::date, to_timestamp(up / 1000.0),
    to_timestamp(e1 / 1000.0), to_timestamp(e2 / 1000.0), to_timestamp(e3 / 1000.0), to_timestamp(e4 / 1000.0),
    to_timestamp(e5 / 1000.0), to_timestamp(e6 / 1000.0), to_timestamp(e7 / 1000.0),
    rr, du, eu, es, co, ro, ps, pk, nk, pp, pn, de, ad
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
    $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[], $16::bigint[],
    $17::bigint[], $18::bigint[], $19::bigint[], $20::bigint[], $21::bigint[], $22::bigint[], $23::bigint[],
    $24::text[], $25::bool[], $26::bool[], $27::int[], $28::int[], $29::int[], $30::int[], $31::text[],
    $32::text[], $33::text[], $34::text[], $35::text[], $36::text[])
    AS x(t, o, ow, ca, pr, st, ch, u, r, rc, dc, vc, sv, cr, up, e1, e2, e3, e4, e5, e6, e7,
         rr, du, eu, es, co, ro, ps, pk, nk, pp, pn, de, ad)
ON CONFLICT (ticket) DO UPDATE SET exporter = excluded.exporter, origin = excluded.origin,
    owner = excluded.owner, category = excluded.category, priority = excluded.priority,
    status = excluded.status, channel = excluded.channel, unit = excluded.unit, regency = excluded.regency,
    regency_code = excluded.regency_code, district_code = excluded.district_code,
    village_code = excluded.village_code, sop_version = excluded.sop_version,
    created_ms = excluded.created_ms, created_at = excluded.created_at, created_day = excluded.created_day,
    updated_at = excluded.updated_at, verified_at = excluded.verified_at, rejected_at = excluded.rejected_at,
    dispatched_at = excluded.dispatched_at, acknowledged_at = excluded.acknowledged_at,
    in_progress_at = excluded.in_progress_at, resolved_at = excluded.resolved_at,
    closed_at = excluded.closed_at, reject_reason = excluded.reject_reason, duplicate = excluded.duplicate,
    emergency_unverified = excluded.emergency_unverified, escalations = excluded.escalations,
    conflicts = excluded.conflicts, reopened = excluded.reopened, prank_score = excluded.prank_score,
    reporter_phone_key = excluded.reporter_phone_key, reporter_name_key = excluded.reporter_name_key,
    reporter_phone = excluded.reporter_phone, reporter_name = excluded.reporter_name,
    description = excluded.description, address = excluded.address, exported_at = now()";

const INSERT_STEPS: &str = "
INSERT INTO banpol.case_steps (ticket, step, n, entered_ms, left_ms, left_by, deadline_ms)
SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[])";

const UPSERT_CURSORS: &str = "
INSERT INTO banpol.export_cursor (origin, epoch, exporter, last_seq)
SELECT o, e, $1, s FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS x(o, e, s)
ON CONFLICT (origin, epoch) DO UPDATE SET last_seq = excluded.last_seq, exporter = excluded.exporter,
    updated_at = now()";

/// Writes one batch and the cursors after it in one transaction.
pub async fn write(client: &mut Client, node: &str, b: &Batch) -> Result<(), ExportError> {
    let tx = client.transaction().await.map_err(db)?;
    let ev = &b.events;
    let col = |f: &dyn Fn(&crate::model::export::EventRow) -> String| ev.iter().map(f).collect::<Vec<String>>();
    let num = |f: &dyn Fn(&crate::model::export::EventRow) -> u64| ev.iter().map(|e| ms(f(e))).collect::<Vec<i64>>();
    let opt = |f: &dyn Fn(&crate::model::export::EventRow) -> Option<String>| ev.iter().map(f).collect::<Vec<_>>();
    tx.execute(
        INSERT_EVENTS,
        &[
            &node,
            &col(&|e| e.event_id.clone()),
            &col(&|e| e.origin.clone()),
            &num(&|e| e.seq),
            &ev.iter().map(|e| e.epoch as i64).collect::<Vec<i64>>(),
            &num(&|e| e.hlc),
            &num(&|e| e.at_ms),
            &col(&|e| e.ticket.clone()),
            &col(&|e| e.kind.to_owned()),
            &col(&|e| e.actor_kind.to_owned()),
            &opt(&|e| e.actor_role.clone()),
            &opt(&|e| e.actor_unit.clone()),
            &col(&|e| e.sop_version.clone()),
            &ev.iter().map(|e| e.drill).collect::<Vec<bool>>(),
            &col(&|e| e.fields.to_string()),
        ],
    )
    .await
    .map_err(db)?;
    let cs = &b.cases;
    if !cs.is_empty() {
        let s = |f: &dyn Fn(&crate::model::export::CaseRow) -> String| cs.iter().map(f).collect::<Vec<String>>();
        let o = |f: &dyn Fn(&crate::model::export::CaseRow) -> Option<String>| cs.iter().map(f).collect::<Vec<_>>();
        let at = |i: usize| cs.iter().map(|c| c.entered_ms[i].map(ms)).collect::<Vec<Option<i64>>>();
        let int = |f: &dyn Fn(&crate::model::export::CaseRow) -> u32| {
            cs.iter().map(|c| i32::try_from(f(c)).unwrap_or(i32::MAX)).collect::<Vec<i32>>()
        };
        let personal = |i: usize| o(&|c| c.personal.as_ref().map(|p| p[i].clone()));
        tx.execute(
            UPSERT_CASES,
            &[
                &node,
                &s(&|c| c.ticket.clone()),
                &s(&|c| c.origin.clone()),
                &s(&|c| c.owner.clone()),
                &s(&|c| c.category.to_owned()),
                &s(&|c| c.priority.to_owned()),
                &s(&|c| c.status.to_owned()),
                &s(&|c| c.channel.to_owned()),
                &o(&|c| c.unit.clone()),
                &s(&|c| c.regency.clone()),
                &o(&|c| c.regency_code.clone()),
                &o(&|c| c.district_code.clone()),
                &o(&|c| c.village_code.clone()),
                &s(&|c| c.sop_version.clone()),
                &cs.iter().map(|c| ms(c.created_ms)).collect::<Vec<i64>>(),
                &cs.iter().map(|c| ms(c.updated_ms)).collect::<Vec<i64>>(),
                // State::ALL order: verified, rejected, dispatched, acknowledged, in_progress,
                // resolved, closed
                &at(1),
                &at(2),
                &at(3),
                &at(4),
                &at(5),
                &at(6),
                &at(7),
                &o(&|c| c.reject_reason.clone()),
                &cs.iter().map(|c| c.duplicate).collect::<Vec<bool>>(),
                &cs.iter().map(|c| c.emergency_unverified).collect::<Vec<bool>>(),
                &int(&|c| c.escalations),
                &int(&|c| c.conflicts),
                &int(&|c| c.reopened),
                &int(&|c| c.prank_score),
                &s(&|c| c.reporter_phone_key.clone()),
                &s(&|c| c.reporter_name_key.clone()),
                &personal(0),
                &personal(1),
                &personal(2),
                &personal(3),
            ],
        )
        .await
        .map_err(db)?;
        let tickets = s(&|c| c.ticket.clone());
        tx.execute("DELETE FROM banpol.case_steps WHERE ticket = ANY($1)", &[&tickets]).await.map_err(db)?;
        let st = &b.steps;
        tx.execute(
            INSERT_STEPS,
            &[
                &st.iter().map(|s| s.ticket.clone()).collect::<Vec<_>>(),
                &st.iter().map(|s| s.step.to_owned()).collect::<Vec<_>>(),
                &st.iter().map(|s| i32::try_from(s.n).unwrap_or(i32::MAX)).collect::<Vec<_>>(),
                &st.iter().map(|s| ms(s.entered_ms)).collect::<Vec<_>>(),
                &st.iter().map(|s| s.left_ms.map(ms)).collect::<Vec<_>>(),
                &st.iter().map(|s| s.left_by.clone()).collect::<Vec<_>>(),
                &st.iter().map(|s| s.deadline_ms.map(ms)).collect::<Vec<_>>(),
            ],
        )
        .await
        .map_err(db)?;
    }
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

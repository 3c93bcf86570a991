//! The export of the event log into a real PostgreSQL (issue 18, `src/export/`): a hub with two
//! posts exports what its recap shows and no personal data; PostgreSQL stopped and started
//! again, the node killed with -9 in the middle of a batch, `export rebuild`: no loss, no
//! duplicate, the same tables; a malformed URL, a wrong password, a newer schema: named, and
//! the node keeps serving.

use crate::pg::Postgres;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn node(code: &str, sync_port: Option<u16>, env: &[(&str, &str)]) -> TestNode {
    let listen = sync_port.map(|p| format!("127.0.0.1:{p}")).unwrap_or_else(|| "off".into());
    let mut all = Options::unlimited().env;
    all.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let mut n = TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), code.into(), "--sync-listen".into(), listen],
        env: all,
        ..Default::default()
    });
    n.add_user("lead", "leader", None);
    n.add_user("op", "operator", None);
    n
}

/// `banpol export status --json`.
fn status(n: &TestNode) -> Value {
    let out = n.cli(&["export", "status", "--json"], None);
    assert!(out.status.success(), "export status: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("status JSON")
}

/// Events per origin in the node's store (`banpol verify`).
fn store_events(n: &TestNode) -> BTreeMap<String, i64> {
    let out = n.cli(&["verify"], None);
    assert!(out.status.success(), "verify: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?.to_owned(), it.next()?.parse().ok()?))
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

async fn db_events(db: &tokio_postgres::Client) -> BTreeMap<String, i64> {
    db.query("SELECT origin, count(*) FROM banpol.events GROUP BY 1", &[])
        .await
        .map(|rows| rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        .unwrap_or_default()
}

/// Waits until the database holds every event of the node's store, and checks that each
/// origin's events are there once each, without a gap, up to its cursor. The store is read
/// again at each look: it may still grow meanwhile (the scheduler's escalations after a jump
/// of the test clock).
async fn caught_up(n: &TestNode, db: &tokio_postgres::Client) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let want = store_events(n);
        if db_events(db).await == want {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the database holds {:?}, the store {want:?}; status {}",
            db_events(db).await,
            status(n)
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for r in db
        .query(
            "SELECT e.origin, count(*), count(DISTINCT e.seq), min(e.seq), max(e.seq),
                    (SELECT max(last_seq) FROM banpol.export_cursor c WHERE c.origin = e.origin)
             FROM banpol.events e GROUP BY 1",
            &[],
        )
        .await
        .unwrap()
    {
        let (o, n, distinct, min, max, cur): (String, i64, i64, i64, i64, i64) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
        assert_eq!((n, distinct, min, max, cur), (n, n, 1, n, n), "{o}: events 1..={n} once each, cursor at the last");
    }
    eventually(20, || async {
        let s = status(n);
        (s["state"] == "caught_up" && s["lag_events"] == 0).then_some(())
    })
    .await;
}

/// Every row of every exported table as text (what a leak would show up in).
async fn everything(db: &tokio_postgres::Client) -> String {
    let mut out = String::new();
    for t in ["events", "cases", "case_steps", "export_cursor"] {
        let r = db.query_one(&format!("SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM banpol.{t} t"), &[]).await;
        out.push_str(&r.unwrap().get::<_, String>(0));
        out.push('\n');
    }
    out
}

/// The tables in a fixed order, without the times of the export itself.
async fn tables(db: &tokio_postgres::Client) -> Vec<String> {
    let q = [
        "SELECT (to_jsonb(t) - 'exported_at')::text FROM banpol.events t ORDER BY event_id",
        "SELECT (to_jsonb(t) - 'exported_at')::text FROM banpol.cases t ORDER BY ticket",
        "SELECT to_jsonb(t)::text FROM banpol.case_steps t ORDER BY ticket, step, n",
        "SELECT (to_jsonb(t) - 'updated_at')::text FROM banpol.export_cursor t ORDER BY origin, epoch",
    ];
    let mut out = Vec::new();
    for q in q {
        out.extend(db.query(q, &[]).await.unwrap().iter().map(|r| r.get::<_, String>(0)));
    }
    out
}

/// The views of WIB day `day` (an SQL date expression) give the figures of `rekap` (a
/// `/rekap?group_by=node` of that day) per node and step; so do the recap functions.
async fn same_as_rekap(db: &tokio_postgres::Client, rekap: &Value, day: &str) {
    for g in rekap["groups"].as_array().unwrap() {
        let node = g["key"]["node"].as_str().unwrap();
        let f = &g["figures"];
        let r = db
            .query_one(
                &format!(
                    "SELECT sum(received)::bigint, sum(verified)::bigint, sum(rejected)::bigint, sum(pranks)::bigint,
                            sum(pranks)::float8 / sum(received)
                     FROM banpol.daily_cases WHERE day = {day} AND node = $1"
                ),
                &[&node],
            )
            .await
            .unwrap();
        let got: (i64, i64, i64, i64, f64) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        let want = (
            f["received"].as_i64().unwrap(),
            f["verified"].as_i64().unwrap(),
            f["rejected_total"].as_i64().unwrap(),
            f["pranks"].as_i64().unwrap(),
            f["prank_rate"].as_f64().unwrap(),
        );
        assert_eq!(got, want, "{node}: received, verified, rejected, pranks, prank rate");
        for s in f["steps"].as_array().unwrap() {
            let step = s["step"].as_str().unwrap();
            let r = db
                .query_one(
                    &format!(
                        "SELECT coalesce(sum(done), 0)::bigint, coalesce(sum(within), 0)::bigint,
                                coalesce(sum(late), 0)::bigint, coalesce(sum(overdue), 0)::bigint,
                                coalesce(sum(not_yet), 0)::bigint,
                                (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ms)
                                 FROM banpol.step_durations WHERE day = {day} AND node = $1 AND step = $2)
                         FROM banpol.step_compliance WHERE day = {day} AND node = $1 AND step = $2"
                    ),
                    &[&node, &step],
                )
                .await
                .unwrap();
            let median: Option<i64> = r.get(5);
            let got =
                (r.get::<_, i64>(0), r.get::<_, i64>(1), r.get::<_, i64>(2), r.get::<_, i64>(3), r.get::<_, i64>(4));
            let want = (
                s["done"].as_i64().unwrap(),
                s["within"].as_i64().unwrap(),
                s["late"].as_i64().unwrap(),
                s["overdue"].as_i64().unwrap(),
                s["not_yet"].as_i64().unwrap(),
            );
            assert_eq!(got, want, "{node} {step}: done, within, late, overdue, not yet");
            assert_eq!(median.map(|m| (m as u64).div_ceil(1000)), s["median_s"].as_u64(), "{node} {step}: median");
        }
    }
    for (table, f) in [("banpol.daily_cases", "received"), ("banpol.step_compliance", "done")] {
        // the functions over the day's period give what the views give
        let by_view: i64 = db
            .query_one(&format!("SELECT coalesce(sum({f}), 0)::bigint FROM {table} WHERE day = {day}"), &[])
            .await
            .unwrap()
            .get(0);
        let by_function: i64 = db
            .query_one(
                &format!(
                    "SELECT count(*) FILTER (WHERE {})
                     FROM banpol.{}(({day})::timestamp AT TIME ZONE 'Asia/Jakarta',
                                   ({day} + 1)::timestamp AT TIME ZONE 'Asia/Jakarta')",
                    if f == "done" { "standing IN ('within', 'late')" } else { "true" },
                    if f == "done" { "recap_steps" } else { "recap_cases" }
                ),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(by_view, by_function, "{table}.{f}: the view and the function agree");
    }
}

async fn file(node: &TestNode, n: u32, category: &str) -> String {
    let body =
        report_from(&format!("0812-7000-{n:04}"), category, &format!("Kejadian di pasar nomor {n}, mohon dibantu"));
    let r = node.client().post(node.url("/api/v1/reports")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["ticket"].as_str().unwrap().to_owned()
}

async fn act(s: &Session, t: &str, body: Value) {
    let (st, v) = s.act(t, body.clone()).await;
    assert_eq!(st, StatusCode::OK, "{body} on {t}: {v}");
}

/// A hub with two posts exports every event of all three; the views give the hub's `/rekap`
/// figures per node; no reporter's phone or name, description or address is in the database.
#[tokio::test]
async fn a_hub_with_two_posts_exports_what_its_recap_shows_and_no_personal_data() {
    let pg = Postgres::start();
    let url = pg.create_db("polda").await;
    let hub = node("SUMSEL", Some(free_port()), &[("BANPOL_EXPORT_POSTGRES", &url)]);
    let (mut plg, oki) = (node("PLG", None, &[]), node("OKI", None, &[]));
    enroll(&hub, &plg, "PLG");
    enroll(&hub, &oki, "OKI");
    // the Polda's pseudonym key is the hub's: it came down to each post at enrollment (0600)
    let key = |n: &TestNode| {
        let path = n.data_dir().join("export-pseudonym.key");
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o600, "{path:?}");
        std::fs::read_to_string(path).unwrap()
    };
    assert_eq!((key(&plg), key(&oki)), (key(&hub), key(&hub)));
    // the post exports too, into a database of its own
    let url_plg = pg.create_db("pos_plg").await;
    assert!(plg.stop().success());
    plg.set_env("BANPOL_EXPORT_POSTGRES", &url_plg);
    plg.start();
    let (op_plg, op_oki) = (plg.login("op").await, oki.login("op").await);
    let mut t = Vec::new();
    for n in 0..5 {
        t.push(file(&plg, 100 + n, "crime").await);
    }
    act(&op_plg, &t[0], json!({"action": "verify", "method": "callback_confirmed"})).await;
    act(&op_plg, &t[0], json!({"action": "dispatch", "unit": "PLG", "note": "Budi menunggu di pasar"})).await;
    act(&op_plg, &t[1], json!({"action": "reject", "reason": "prank", "note": "iseng"})).await;
    act(&op_plg, &t[2], json!({"action": "verify", "method": "callback_confirmed"})).await;
    for n in 0..3 {
        let x = file(&oki, 200 + n, "information").await;
        if n < 2 {
            act(&op_oki, &x, json!({"action": "verify", "method": "callback_confirmed"})).await;
        }
    }
    let lead = hub.login("lead").await;
    let rekap = eventually(30, || async {
        let (s, v) = lead.get("/api/v1/rekap?group_by=node").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        (v["total"]["received"] == 8 && v["total"]["verified"] == 4).then_some(v)
    })
    .await;
    let db = pg.client("polda").await;
    caught_up(&hub, &db).await;
    let origins: Vec<String> = db_events(&db).await.into_keys().collect();
    assert_eq!(origins, ["OKI", "PLG"], "every post's events, at the hub");

    same_as_rekap(&db, &rekap, "(now() AT TIME ZONE 'Asia/Jakarta')::date").await;
    let cases: i64 = db.query_one("SELECT count(*) FROM banpol.cases", &[]).await.unwrap().get(0);
    assert_eq!(cases, 8);
    // a post and its hub give a reporter the same pseudonym
    let db_plg = pg.client("pos_plg").await;
    caught_up(&plg, &db_plg).await;
    let q = "SELECT ticket, reporter_phone_key, reporter_name_key FROM banpol.cases WHERE origin = 'PLG' ORDER BY 1";
    let rows = |rs: Vec<tokio_postgres::Row>| {
        rs.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect::<Vec<(String, String, String)>>()
    };
    let (at_hub, at_post) = (rows(db.query(q, &[]).await.unwrap()), rows(db_plg.query(q, &[]).await.unwrap()));
    assert_eq!(at_hub.len(), 5);
    assert_eq!(at_post, at_hub, "the post's pseudonyms are the hub's");

    let all = everything(&db).await;
    assert!(all.contains("callback_confirmed") && all.contains("prank"), "codes are exported");
    for leak in ["Budi", "Santoso", "6281270000", "081270000", "0812-7000", "Kejadian", "Merdeka", "iseng"] {
        assert!(!all.contains(leak), "{leak:?} is in the database");
    }
    // the same reporter, the same pseudonym: repeat reporters can still be counted
    let keys: i64 =
        db.query_one("SELECT count(DISTINCT reporter_phone_key) FROM banpol.cases", &[]).await.unwrap().get(0);
    assert_eq!(keys, 8);
    let s = status(&hub);
    assert_eq!((s["personal_data"].clone(), s["schema_version"].clone()), (json!(false), json!(2)), "{s}");
}

/// PostgreSQL stopped while reports come in, then started: the export retries, says why, and
/// catches up. The node killed with -9 while a batch is open in the database: nothing of it
/// stays, and after the restart nothing is missing or doubled. `export rebuild` gives the same
/// tables. With `export_personal_data = true` the reporter's data is exported.
#[tokio::test]
async fn the_export_survives_outages_and_kill9_without_loss_or_duplicates_and_rebuilds_the_same() {
    let mut pg = Postgres::start();
    let url = pg.create_db("post").await;
    let mut post = node("PLG", None, &[("BANPOL_EXPORT_POSTGRES", &url), ("BANPOL_EXPORT_PERSONAL_DATA", "true")]);
    let op = post.login("op").await;
    let first = file(&post, 1, "crime").await;
    act(&op, &first, json!({"action": "verify", "method": "callback_confirmed"})).await;
    {
        let db = pg.client("post").await;
        caught_up(&post, &db).await;
        let r = db.query_one("SELECT reporter_phone, reporter_name FROM banpol.cases", &[]).await.unwrap();
        assert_eq!((r.get::<_, String>(0), r.get::<_, String>(1)), ("+6281270000001".into(), "Budi Santoso".into()));
        assert!(everything(&db).await.contains("Kejadian di pasar nomor 1"), "descriptions are exported too");
    }
    assert_eq!(status(&post)["personal_data"], true);

    // PostgreSQL goes away: intake goes on, the export says why and catches up afterwards
    pg.halt(true);
    for n in 2..12 {
        file(&post, n, "information").await;
    }
    eventually(30, || async {
        let s = status(&post);
        (s["state"] == "retrying" && s["lag_events"].as_u64() > Some(0)).then_some(())
    })
    .await;
    let s = status(&post);
    assert!(s["last_error"].as_str().unwrap().contains("PostgreSQL"), "{s}");
    // the board's sync panel shows it too
    let lead = post.login("lead").await;
    let (st, panel) = lead.get("/api/v1/sync/status").await;
    assert_eq!(st, StatusCode::OK, "{panel}");
    assert_eq!(panel["export"]["state"], "retrying", "{panel}");
    assert!(panel["export"]["lag_events"].as_u64() > Some(0) && panel["export"]["last_error"].is_string(), "{panel}");
    let metrics = post.client().get(post.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("banpol_export_up 0"), "{metrics}");
    pg.resume();
    let db = pg.client("post").await;
    caught_up(&post, &db).await;
    let metrics = post.client().get(post.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("banpol_export_up 1") && metrics.contains("banpol_export_lag_events 0"), "{metrics}");
    let (_, panel) = lead.get("/api/v1/sync/status").await;
    assert_eq!(
        (panel["export"]["state"].clone(), panel["export"]["lag_events"].clone()),
        (json!("caught_up"), json!(0))
    );

    // a batch held open in the database (its cursor row locked), then kill -9
    let mut locker = pg.client("post").await;
    let tx = locker.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE banpol.export_cursor IN ACCESS EXCLUSIVE MODE").await.unwrap();
    for n in 12..40 {
        file(&post, n, "information").await;
    }
    eventually(30, || async {
        let waiting: i64 = db
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'banpol-export' AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        (waiting > 0).then_some(())
    })
    .await;
    post.kill9();
    tx.rollback().await.unwrap();
    let before_restart = db_events(&db).await;
    post.start();
    caught_up(&post, &db).await;
    assert!(db_events(&db).await["PLG"] > before_restart["PLG"], "the batch cut by kill -9 came again");

    // rebuild: the same tables, written anew
    let before = tables(&db).await;
    let asked: i64 = db.query_one("SELECT (extract(epoch FROM now()) * 1000)::bigint", &[]).await.unwrap().get(0);
    let out = post.cli(&["export", "rebuild"], None);
    assert!(out.status.success(), "rebuild: {}", String::from_utf8_lossy(&out.stderr));
    eventually(60, || async {
        let fresh: i64 = db
            .query_one(
                "SELECT count(*) FROM banpol.events WHERE exported_at >= to_timestamp($1::bigint / 1000.0)",
                &[&asked],
            )
            .await
            .unwrap()
            .get(0);
        (fresh as usize == before.iter().filter(|r| r.contains("\"event_id\"")).count()).then_some(())
    })
    .await;
    caught_up(&post, &db).await;
    assert_eq!(tables(&db).await, before, "rebuild gives the same tables");
}

/// A malformed URL, a wrong password, a database whose schema is newer than the binary: the
/// status names the problem, and the node keeps taking reports.
#[tokio::test]
async fn bad_urls_passwords_and_newer_schemas_are_named_and_the_node_keeps_serving() {
    let pg = Postgres::start();
    let url = pg.create_db("newer").await;
    {
        let db = pg.client("newer").await;
        db.batch_execute(
            "CREATE SCHEMA banpol;
             CREATE TABLE banpol.schema_migrations (version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL);
             INSERT INTO banpol.schema_migrations (version, applied_by) VALUES (1, 'test'), (99, 'a newer banpol');",
        )
        .await
        .unwrap();
    }
    let wrong = pg.url_as(crate::pg::SUPERUSER, "not-the-password", "newer");
    let cases = [
        ("postgres://banpol:pw@127.0.0.1:notaport/db", "not a valid PostgreSQL URL", "stopped"),
        (wrong.as_str(), "password authentication failed", "retrying"),
        (url.as_str(), "version 99, newer than this banpol's 2", "retrying"),
    ];
    for (url, says, state) in cases {
        let n = node("PLG", None, &[("BANPOL_EXPORT_POSTGRES", url)]);
        let s = eventually(30, || async {
            let s = status(&n);
            s["last_error"].as_str().is_some_and(|e| e.contains(says)).then_some(s)
        })
        .await;
        assert_eq!(s["state"], state, "{s}");
        assert!(!s.to_string().contains("not-the-password") && !s.to_string().contains(":pw@"), "{s}");
        file(&n, 1, "crime").await;
        let text = String::from_utf8_lossy(&n.cli(&["export", "status"], None).stdout).into_owned();
        assert!(text.contains(says), "{text}");
    }
}

/// 2026-11-02 08:00 WIB, on a frozen clock (`BANPOL_TEST_CLOCK`, a `test-hooks` build only).
const T0: u64 = 1_793_581_200_000;
const MIN: u64 = 60_000;

/// A closed past day: its cases moved on the next day, yet the views (and the recap functions
/// over that day) give what `/rekap` gives for that day, followed up to the day's end.
#[tokio::test]
async fn the_views_give_a_closed_days_recap_as_of_its_end_not_as_of_now() {
    let pg = Postgres::start();
    let url = pg.create_db("closed").await;
    let clock = tempfile::tempdir().unwrap();
    let at = |minutes: u64| {
        let (file, next) = (clock.path().join("clock"), clock.path().join("clock.next"));
        std::fs::write(&next, (T0 + minutes * MIN).to_string()).unwrap();
        std::fs::rename(&next, &file).unwrap();
    };
    at(0);
    let clock_file = clock.path().join("clock").display().to_string();
    let n = node("PLG", None, &[("BANPOL_EXPORT_POSTGRES", &url), ("BANPOL_TEST_CLOCK", &clock_file)]);
    let op = n.login("op").await;
    let mut t = Vec::new();
    for i in 0..4 {
        t.push(file(&n, 300 + i, if i < 2 { "crime" } else { "information" }).await);
    }
    at(5);
    act(&op, &t[0], json!({"action": "verify", "method": "callback_confirmed"})).await;
    at(10);
    act(&op, &t[1], json!({"action": "reject", "reason": "prank", "note": "iseng"})).await;
    // the next morning (04:00 WIB): a pending report is verified, a verified one dispatched
    at(20 * 60);
    act(&op, &t[2], json!({"action": "verify", "method": "callback_confirmed"})).await;
    act(&op, &t[0], json!({"action": "dispatch", "unit": "PLG", "note": "menuju lokasi"})).await;
    let lead = n.login("lead").await;
    let (st, rekap) = lead.get("/api/v1/rekap?from=2026-11-02&to=2026-11-02&group_by=node").await;
    assert_eq!(st, StatusCode::OK, "{rekap}");
    assert_eq!((rekap["total"]["received"].as_i64(), rekap["total"]["verified"].as_i64()), (Some(4), Some(1)));
    let db = pg.client("closed").await;
    caught_up(&n, &db).await;
    same_as_rekap(&db, &rekap, "'2026-11-02'::date").await;
    // what happened after the day's end is not in the day's figures, but is in the cases table
    let r = db
        .query_one(
            "SELECT (SELECT sum(verified)::bigint FROM banpol.daily_cases WHERE day = '2026-11-02'),
                    (SELECT sum(done)::bigint FROM banpol.step_compliance WHERE day = '2026-11-02' AND step = 'verify'),
                    (SELECT count(*) FROM banpol.cases WHERE verified_at IS NOT NULL)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!((r.get::<_, i64>(0), r.get::<_, i64>(1), r.get::<_, i64>(2)), (1, 2, 2), "verified, verify done, now");
}

//! Recaps (issue 15) through the real binary: a scripted shift on a frozen test clock
//! (`BANPOL_TEST_CLOCK`, a `test-hooks` build only) with every figure computed by hand, in JSON,
//! CSV and XLSX; a hub whose recap of a post equals the post's own; and bad requests.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::PathBuf;

/// 2026-11-02 08:00 WIB (the "Pagi" shift).
const T0: u64 = 1_793_581_200_000;
const MIN: u64 = 60_000;

struct Clock(PathBuf);
impl Clock {
    /// Moves the clock (written beside, then renamed: the node never reads a half-written file).
    fn set(&self, minutes: u64) {
        let next = self.0.with_extension("next");
        std::fs::write(&next, (T0 + minutes * MIN).to_string()).unwrap();
        std::fs::rename(&next, &self.0).unwrap();
    }
}

fn frozen_node() -> (TestNode, Clock) {
    let dir = tempfile::tempdir().unwrap().keep();
    let clock = Clock(dir.join("clock"));
    std::fs::write(&clock.0, (T0 - MIN).to_string()).unwrap();
    let cfg = dir.join("banpol.toml");
    std::fs::write(&cfg, "scheduler_tick_ms = 50\n").unwrap();
    let mut env = Options::unlimited().env;
    env.push(("BANPOL_TEST_CLOCK".into(), clock.0.display().to_string()));
    let mut node = TestNode::spawn_with(Options {
        args: vec!["--config".into(), cfg.display().to_string()],
        env,
        ..Default::default()
    });
    node.add_user("op", "operator", None);
    node.add_user("unit", "unit_officer", Some("PLG"));
    node.add_user("lead", "leader", None);
    node.add_user("pa", "pa_siaga", None);
    node.add_user("tik", "tik_admin", None);
    node.add_user("oki", "unit_officer", Some("OKI"));
    (node, clock)
}

async fn file(node: &TestNode, who: Option<&Session>, n: u32, category: &str, extra: Value) -> String {
    let mut body = report_from(
        &format!("0812-7000-{n:04}"),
        category,
        &format!("Laporan rekap nomor {n}: kejadian di pasar, mohon segera ditangani petugas."),
    );
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let client = who.map(|s| s.client.clone()).unwrap_or_else(|| node.client());
    let mut r = client.post(node.url("/api/v1/reports")).json(&body);
    if let Some(s) = who {
        r = r.header("x-csrf-token", &s.csrf);
    }
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    v["ticket"].as_str().unwrap().to_owned()
}

async fn act(s: &Session, t: &str, body: Value) {
    let (st, v) = s.act(t, body.clone()).await;
    assert_eq!(st, StatusCode::OK, "{body} on {t}: {v}");
}

/// Waits until the scheduler has written `n` escalations over `tickets` (so an action at the same
/// clock time comes after them).
async fn settle(s: &Session, tickets: &[String], n: usize) {
    eventually(20, || async {
        let mut count = 0;
        let mut seen = Vec::new();
        for t in tickets {
            let c = s.case(t).await;
            for e in c["history"].as_array().unwrap().iter().filter(|e| e["type"] == "escalated") {
                count += 1;
                seen.push(format!("{t} {} {}", e["details"], e["at"]));
            }
        }
        assert!(count <= n, "more escalations than computed: {count} > {n}: {seen:#?}");
        (count == n).then_some(())
    })
    .await;
}

fn step<'a>(f: &'a Value, name: &str) -> &'a Value {
    f["steps"].as_array().unwrap().iter().find(|s| s["step"] == name).unwrap()
}

/// A CSV export as rows of cells (every cell quoted; no quotes inside in this scenario).
fn csv_rows(text: &str, sep: char) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').expect("a BOM first");
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(sep).map(|c| c.trim_matches('"').to_owned()).collect())
        .collect()
}

/// The expected total row: column -> value, as computed by hand for the scenario below.
fn expected_total() -> Vec<(&'static str, f64)> {
    vec![
        ("received", 8.0),
        ("verified", 4.0),
        ("rejected", 2.0),
        ("rejected_prank", 1.0),
        ("duplicates", 1.0),
        ("prank_rate", 0.125),
        ("emergency_unverified", 1.0),
        ("reopened", 0.0),
        ("conflicts", 0.0),
        ("escalations_rung1", 7.0),
        ("escalations_rung2", 2.0),
        ("escalations_rung3", 2.0),
        ("status_new", 1.0),
        ("status_verified", 2.0),
        ("status_rejected", 2.0),
        ("status_acknowledged", 2.0),
        ("status_in_progress", 1.0),
        ("status_closed", 0.0),
        ("verify_done", 7.0),
        ("verify_within", 5.0),
        ("verify_late", 2.0),
        ("verify_overdue", 1.0),
        ("verify_not_yet", 0.0),
        ("verify_share_within", 0.625),
        ("verify_median_min", 10.0),
        ("verify_p90_min", 20.0),
        ("dispatch_done", 2.0),
        ("dispatch_within", 2.0),
        ("dispatch_overdue", 1.0),
        ("dispatch_not_yet", 1.0),
        ("dispatch_median_min", 10.0),
        ("acknowledge_done", 3.0),
        ("acknowledge_within", 1.0),
        ("acknowledge_late", 2.0),
        ("acknowledge_median_min", 30.0),
        ("acknowledge_p90_min", 70.0),
        ("first_action_done", 1.0),
        ("first_action_not_yet", 1.0),
        ("first_action_overdue", 1.0),
        ("first_action_share_within", 0.5),
        ("first_action_median_min", 20.0),
        ("resolve_done", 0.0),
        ("resolve_not_yet", 1.0),
    ]
}

/// Eight reports over two hours of a morning shift, on the reference SOP (crime/normal: verify
/// 15 min, dispatch 30 min, acknowledge 1 h; crime/emergency: 2, 3, 5 min; information: verify
/// 1 h, dispatch 2 h). Times are minutes after 08:00 WIB; the recap is read at minute 120.
///
/// A crime  0: verified 10, dispatched 20, acknowledged 50, first action (progress) 70
/// B crime  0: verified 20 (late; escalated at 15), dispatched 30, acknowledged 100 (late; esc. 90)
/// C crime  5: verified 25 (late; esc. 20), dispatch pending: escalated 55, 85, 115 (overdue)
/// D crime 10: rejected as prank at 12
/// E crime 10: linked as a duplicate of A at 14
/// F crime 15: still new: escalated 30, 45, 60 (overdue)
/// G information 30: verified 40; dispatch pending, due at 160 (not yet)
/// H crime emergency by phone 60: dispatched unverified 61, acknowledged 70 (late; esc. 66);
///   first action (30 min) pending: escalated 100 (overdue)
///
/// verify: done 7 (1, 2, 4, 10, 10, 20, 20 min), within 5, late 2, overdue 1 (F): share 5/8,
/// median 10 min, p90 20 min. dispatch: done 2 (10, 10), overdue 1 (C), not yet 1 (G).
/// acknowledge: done 3 (9, 30, 70), within 1: median 30, p90 70. first action: 1 done (20),
/// 1 overdue (H), 1 not yet (B): share 1/2. resolve: 1 not yet (A). Escalations: rung 1 ×7,
/// rung 2 ×2, rung 3 ×2.
#[tokio::test]
async fn a_scripted_shift_gives_the_hand_computed_figures_in_json_csv_and_xlsx() {
    let (node, clock) = frozen_node();
    clock.set(0);
    let op = node.login("op").await;
    let unit = node.login("unit").await;
    let lead = node.login("lead").await;
    let crime = json!({});
    let a = file(&node, None, 1, "crime", crime.clone()).await;
    let b = file(&node, None, 2, "crime", crime.clone()).await;
    clock.set(5);
    let c = file(&node, None, 3, "crime", crime.clone()).await;
    clock.set(10);
    let d = file(&node, None, 4, "crime", crime.clone()).await;
    let e = file(&node, None, 5, "crime", crime.clone()).await;
    let verify = json!({"action": "verify", "method": "callback_confirmed"});
    let dispatch = json!({"action": "dispatch", "unit": "PLG"});
    let ack = json!({"action": "acknowledge"});
    act(&op, &a, verify.clone()).await;
    clock.set(12);
    act(&op, &d, json!({"action": "reject", "reason": "prank"})).await;
    clock.set(14);
    act(&op, &e, json!({"action": "link_duplicate", "original": a})).await;
    clock.set(15);
    let f = file(&node, None, 6, "crime", crime.clone()).await;
    let mut all = vec![a.clone(), b.clone(), c.clone(), d.clone(), e.clone(), f.clone()];
    settle(&op, &all, 1).await;
    clock.set(20);
    settle(&op, &all, 2).await;
    act(&op, &b, verify.clone()).await;
    act(&op, &a, dispatch.clone()).await;
    clock.set(25);
    act(&op, &c, verify.clone()).await;
    clock.set(30);
    settle(&op, &all, 3).await;
    act(&op, &b, dispatch.clone()).await;
    let g = file(&node, None, 7, "information", json!({})).await;
    all.push(g.clone());
    clock.set(40);
    act(&op, &g, verify.clone()).await;
    clock.set(50);
    settle(&op, &all, 4).await;
    act(&unit, &a, ack.clone()).await;
    clock.set(60);
    settle(&op, &all, 6).await;
    let h = file(&node, Some(&op), 8, "crime", json!({"channel": "phone", "priority": "emergency"})).await;
    all.push(h.clone());
    clock.set(61);
    act(&op, &h, dispatch.clone()).await;
    clock.set(70);
    settle(&op, &all, 7).await;
    act(&unit, &h, ack.clone()).await;
    act(&unit, &a, json!({"action": "progress", "note": "Petugas tiba di lokasi"})).await;
    clock.set(100);
    settle(&op, &all, 10).await;
    act(&unit, &b, ack.clone()).await;
    clock.set(120);
    settle(&op, &all, 11).await;

    // JSON, the day and the shift alike (the shift 07:00-19:00 holds every report)
    for q in ["from=2026-11-02&to=2026-11-02", "shift=Pagi&date=2026-11-02"] {
        let (s, r) = lead.get(&format!("/api/v1/rekap?{q}&group_by=channel&tickets=true")).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["end"], "2026-11-02T10:00:00+07:00", "the period is followed up to now");
        let t = &r["total"];
        assert_eq!(t["received"], 8);
        assert_eq!(t["by_state"], json!({"new": 1, "verified": 2, "rejected": 2, "acknowledged": 2, "in_progress": 1}));
        assert_eq!(t["verified"], 4);
        assert_eq!(t["rejected"], json!({"prank": 1, "duplicate": 1}));
        assert_eq!(
            (t["duplicates"].clone(), t["pranks"].clone(), t["prank_rate"].clone()),
            (json!(1), json!(1), json!(0.125))
        );
        assert_eq!(t["escalations"], json!({"1": 7, "2": 2, "3": 2}));
        assert_eq!(
            (t["emergency_unverified"].clone(), t["reopened"].clone(), t["conflicts"].clone()),
            (json!(1), json!(0), json!(0))
        );
        let v = step(t, "verify");
        assert_eq!(
            v,
            &json!({"step": "verify", "done": 7, "within": 5, "late": 2, "overdue": 1, "not_yet": 0, "missed": 3,
                "share_within": 0.625, "median_s": 600, "p90_s": 1200})
        );
        let dsp = step(t, "dispatch");
        assert_eq!(
            (
                dsp["done"].clone(),
                dsp["within"].clone(),
                dsp["overdue"].clone(),
                dsp["not_yet"].clone(),
                dsp["median_s"].clone(),
                dsp["p90_s"].clone()
            ),
            (json!(2), json!(2), json!(1), json!(1), json!(600), json!(600))
        );
        assert!((dsp["share_within"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(
            step(t, "acknowledge"),
            &json!({"step": "acknowledge", "done": 3, "within": 1, "late": 2, "overdue": 0, "not_yet": 0, "missed": 2,
                "share_within": 1.0 / 3.0, "median_s": 1800, "p90_s": 4200})
        );
        assert_eq!(
            step(t, "first_action"),
            &json!({"step": "first_action", "done": 1, "within": 1, "late": 0, "overdue": 1, "not_yet": 1, "missed": 1,
                "share_within": 0.5, "median_s": 1200, "p90_s": 1200})
        );
        assert_eq!(
            step(t, "resolve"),
            &json!({"step": "resolve", "done": 0, "within": 0, "late": 0, "overdue": 0, "not_yet": 1, "missed": 0,
                "share_within": null, "median_s": null, "p90_s": null})
        );
        // by channel: the emergency came by phone, the rest on the web
        let groups = r["groups"].as_array().unwrap();
        let keys: Vec<(String, u64)> = groups
            .iter()
            .map(|g| (g["key"]["channel"].as_str().unwrap().to_owned(), g["figures"]["received"].as_u64().unwrap()))
            .collect();
        assert_eq!(keys, [("phone".to_owned(), 1), ("web".to_owned(), 7)]);
        // per duty officer: who completed which steps, and how fast
        let officers = r["officers"].as_array().unwrap();
        assert_eq!(officers.len(), 2, "{officers:?}");
        assert_eq!((officers[0]["user"].clone(), officers[0]["cases"].clone()), (json!("op"), json!(7)));
        assert_eq!(officers[0]["steps"][0], json!({"step": "verify", "count": 7, "median_s": 600, "p90_s": 1200}));
        assert_eq!(officers[0]["steps"][1], json!({"step": "dispatch", "count": 2, "median_s": 600, "p90_s": 600}));
        assert_eq!((officers[1]["user"].clone(), officers[1]["cases"].clone()), (json!("unit"), json!(3)));
        assert_eq!(
            officers[1]["steps"][2],
            json!({"step": "acknowledge", "count": 3, "median_s": 1800, "p90_s": 4200})
        );
        assert_eq!(
            officers[1]["steps"][3],
            json!({"step": "first_action", "count": 1, "median_s": 1200, "p90_s": 1200})
        );
        let mut want = all.clone();
        want.sort();
        assert_eq!(r["tickets"], json!(want), "drill-down lists the cases behind the figures");
        assert!(r["definitions"].as_str().unwrap().contains("Within deadline"));
    }
    // drill-down: the queue shows the cases behind a figure (every state, the recap's filters)
    let behind = |q: &str| format!("/api/v1/cases?per_page=50&rekap={}", q.replace('&', "%26").replace('=', "%3D"));
    let tickets_of = |v: &Value| -> Vec<String> {
        let mut t: Vec<String> =
            v["items"].as_array().unwrap().iter().map(|c| c["ticket"].as_str().unwrap().to_owned()).collect();
        t.sort();
        t
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    for (q, want) in [
        ("from=2026-11-02&to=2026-11-02", all.clone()),
        ("from=2026-11-02&to=2026-11-02&step=verify&step_status=missed", vec![b.clone(), c.clone(), f.clone()]),
        ("from=2026-11-02&to=2026-11-02&step=verify&step_status=late", vec![b.clone(), c.clone()]),
        ("from=2026-11-02&to=2026-11-02&step=dispatch&step_status=not_yet", vec![g.clone()]),
        ("from=2026-11-02&to=2026-11-02&step=first_action&step_status=overdue", vec![h.clone()]),
        ("from=2026-11-02&to=2026-11-02&state=rejected", vec![d.clone(), e.clone()]),
        ("from=2026-11-02&to=2026-11-02&channel=phone", vec![h.clone()]),
        ("from=2026-11-02&to=2026-11-02&category=information&step=verify&step_status=within", vec![g.clone()]),
        ("shift=Malam&date=2026-11-02", vec![]),
    ] {
        let (s, v) = lead.get(&behind(q)).await;
        assert_eq!(s, StatusCode::OK, "{q}: {v}");
        assert_eq!(tickets_of(&v), sorted(want), "{q}");
        assert_eq!(v["total"].as_u64().unwrap() as usize, v["items"].as_array().unwrap().len());
    }
    // the queue's own filters still apply on top; bad recap filters are refused
    let (_, v) = lead.get(&format!("{}&status=rejected", behind("from=2026-11-02&to=2026-11-02"))).await;
    assert_eq!(tickets_of(&v), sorted(vec![d.clone(), e.clone()]));
    for (q, code) in [("from=2026-11-02&to=2026-11-02&step=fly", "invalid_field"), ("group_by=x", "unknown_group")] {
        let (s, v) = lead.get(&behind(q)).await;
        assert_eq!((s, v["code"].as_str().unwrap_or("")), (StatusCode::UNPROCESSABLE_ENTITY, code), "{q}: {v}");
    }

    // the evening shift and the next day hold nothing; a pa_siaga sees no per-officer figures
    let pa = node.login("pa").await;
    let (s, r) = pa.get("/api/v1/rekap?shift=Malam&date=2026-11-02").await;
    assert_eq!((s, r["total"]["received"].clone(), r["officers"].clone()), (StatusCode::OK, json!(0), Value::Null));
    // the unit officer of PLG sees its unit's cases only (A, B, H were dispatched to PLG)
    let (s, r) = unit.get("/api/v1/rekap?from=2026-11-02&to=2026-11-02").await;
    assert_eq!((s, r["total"]["received"].clone()), (StatusCode::OK, json!(3)), "{r}");

    // CSV (comma and semicolon) and XLSX carry the same figures
    let get = |q: &str| {
        let url = node.url(&format!("/api/v1/rekap?from=2026-11-02&to=2026-11-02{q}"));
        let client = lead.client.clone();
        async move { client.get(url).send().await.unwrap() }
    };
    let r = get("&format=csv").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let rows = csv_rows(&r.text().await.unwrap(), ',');
    let semi = csv_rows(&get("&format=csv&sep=;").await.text().await.unwrap(), ';');
    assert_eq!(rows.len(), 2, "the header and the total");
    assert_eq!(rows[1][0], "total");
    let r = get("&format=xlsx").await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = wb.worksheet_range("Rekap").unwrap();
    let xrows: Vec<Vec<calamine::Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert_eq!(xrows.len(), 2);
    for (col, want) in expected_total() {
        let i = rows[0].iter().position(|h| h == col).unwrap_or_else(|| panic!("no column {col}"));
        let got: f64 = rows[1][i].parse().unwrap_or_else(|_| panic!("{col}: {:?}", rows[1][i]));
        assert!((got - want).abs() < 1e-3, "csv {col}: {got} != {want}");
        let got_semi: f64 = semi[1][i].replace(',', ".").parse().unwrap();
        assert!((got_semi - want).abs() < 1e-3, "csv ; {col}: {got_semi} != {want}");
        assert_eq!(xrows[0][i], calamine::Data::String(col.to_owned()), "xlsx header");
        let got = match &xrows[1][i] {
            calamine::Data::Float(f) => *f,
            calamine::Data::Int(n) => *n as f64,
            other => panic!("xlsx {col}: {other:?}"),
        };
        assert!((got - want).abs() < 1e-3, "xlsx {col}: {got} != {want}");
    }
    assert_eq!(xrows[1][0], calamine::Data::String("total".into()));

    // bad requests: each its own code
    for (who, q, status, code) in [
        (&lead, "from=2026-11-03&to=2026-11-01", StatusCode::UNPROCESSABLE_ENTITY, "period_inverted"),
        (&lead, "from=2025-01-01&to=2026-11-01", StatusCode::UNPROCESSABLE_ENTITY, "period_too_long"),
        (&lead, "from=2026-11-01", StatusCode::UNPROCESSABLE_ENTITY, "bad_period"),
        (&lead, "group_by=colour", StatusCode::UNPROCESSABLE_ENTITY, "unknown_group"),
        (&lead, "format=pdf", StatusCode::UNPROCESSABLE_ENTITY, "unknown_format"),
        (&unit, "unit=OKI", StatusCode::FORBIDDEN, "other_unit"),
        (&op, "", StatusCode::FORBIDDEN, "role_may_not"),
    ] {
        let (s, v) = who.get(&format!("/api/v1/rekap?{q}")).await;
        assert_eq!((s, v["code"].as_str().unwrap_or("")), (status, code), "{q}: {v}");
    }
    // /metrics: today's step compliance per unit (PLG holds A, B, H: verify 10 and 1 min on time,
    // 20 late -> 2/3; the cases with no unit: D, E, G on time, C late, F overdue -> 3/5)
    let text = node.client().get(node.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let gauge = |unit: &str, step: &str| -> f64 {
        let prefix = format!("banpol_step_within_deadline_ratio{{unit=\"{unit}\",step=\"{step}\"}} ");
        let line = text.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("{prefix}: {text}"));
        line[prefix.len()..].parse().unwrap()
    };
    assert!((gauge("PLG", "verify") - 2.0 / 3.0).abs() < 1e-9);
    assert!((gauge("none", "verify") - 0.6).abs() < 1e-9);
    assert!((gauge("PLG", "acknowledge") - 1.0 / 3.0).abs() < 1e-9);
    let admin = node.login("tik").await;
    let (s, v) = admin.get("/api/v1/rekap").await;
    assert_eq!((s, v["code"].as_str().unwrap()), (StatusCode::FORBIDDEN, "role_may_not"), "tik_admin: {v}");
}

/// Reports with a kecamatan group by it, with its official name in JSON and in the exports; a
/// report without one is its own group; the kecamatan filters too.
#[tokio::test]
async fn the_recap_groups_by_kecamatan_with_names() {
    let mut node = TestNode::spawn_with(Options::unlimited());
    node.add_user("lead", "leader", None);
    let lead = node.login("lead").await;
    let place = |d: &str| json!({"location": {"regency": "Kota Palembang", "district": d, "address": "Jl. Merdeka", "lat": -2.97, "lon": 104.76}});
    file(&node, None, 301, "crime", place("Ilir Timur Satu")).await;
    file(&node, None, 302, "crime", place("kec. ilir timur satu")).await;
    file(&node, None, 303, "information", place("Seberang Ulu Dua")).await;
    file(&node, None, 304, "crime", json!({})).await;
    let (s, r) = lead.get("/api/v1/rekap?group_by=district").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let groups: Vec<(String, Value, u64)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let key = g["key"]["district"].as_str().unwrap().to_owned();
            (key, g["names"]["district"].clone(), g["figures"]["received"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        groups,
        [
            (String::new(), Value::Null, 1),
            ("16.71.03".to_owned(), json!("Seberang Ulu Dua"), 1),
            ("16.71.05".to_owned(), json!("Ilir Timur Satu"), 2)
        ]
    );
    let (_, r) = lead.get("/api/v1/rekap?district=16.71.05&group_by=category").await;
    assert_eq!(r["total"]["received"], 2, "{r}");
    let csv = lead.client.get(node.url("/api/v1/rekap?group_by=district&format=csv")).send().await.unwrap();
    let rows = csv_rows(&csv.text().await.unwrap(), ',');
    assert_eq!(&rows[0][..3], ["district", "district_name", "received"]);
    assert_eq!(&rows[3][..3], ["16.71.05", "Ilir Timur Satu", "2"]);
    assert_eq!(&rows[4][..3], ["total", "", "4"]);
}

/// At a shift's end the post takes its handover snapshot (the shift's figures, the open and
/// overdue cases handed over); Ka Siaga adds a note (audited); the hub lists the post's
/// snapshots as the post does. The post runs on a frozen test clock.
#[tokio::test]
async fn each_shift_end_leaves_a_handover_snapshot_that_syncs_up_with_its_note() {
    let hub = sync_node("SUMSEL", Some(free_port()));
    let (mut plg, clock) = frozen_node();
    plg.add_user("kasiaga", "ka_siaga", None);
    plg.add_user("audit", "auditor", None);
    enroll(&hub, &plg, "PLG");
    let (op, lead, ka) = (plg.login("op").await, plg.login("lead").await, plg.login("kasiaga").await);
    // started at 07:59: the night shift before ended at 07:00, its snapshot is taken at once
    let night = eventually(20, || async {
        let (s, v) = lead.get("/api/v1/rekap/shifts").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        (v["shifts"].as_array().unwrap().len() == 1).then_some(v)
    })
    .await;
    assert_eq!(night["shifts"][0]["shift"], "Malam");
    assert_eq!(night["shifts"][0]["from"], "2026-11-01T19:00:00+07:00");
    assert_eq!(night["shifts"][0]["received"], 0);
    assert_eq!(night["may_note"], false, "a leader may not write the handover note");
    // the morning shift: A verified after 5 min and dispatched; B never verified; C (information)
    // verified after 30 min, its dispatch (2 h) pending
    clock.set(0);
    let a = file(&plg, None, 401, "crime", json!({})).await;
    let b = file(&plg, None, 402, "crime", json!({})).await;
    let c = file(&plg, None, 403, "information", json!({})).await;
    clock.set(5);
    act(&op, &a, json!({"action": "verify", "method": "callback_confirmed"})).await;
    clock.set(10);
    act(&op, &a, json!({"action": "dispatch", "unit": "PLG"})).await;
    clock.set(30);
    act(&op, &c, json!({"action": "verify", "method": "callback_confirmed"})).await;
    // 19:01: the morning shift (07:00-19:00) has ended
    clock.set(11 * 60 + 1);
    let list = eventually(20, || async {
        let (_, v) = ka.get("/api/v1/rekap/shifts").await;
        (v["shifts"].as_array().unwrap().len() == 2).then_some(v)
    })
    .await;
    assert_eq!(list["may_note"], true);
    let day = &list["shifts"][0];
    assert_eq!((day["shift"].clone(), day["node"].clone()), (json!("Pagi"), json!("PLG")));
    assert_eq!(
        (day["from"].clone(), day["to"].clone()),
        (json!("2026-11-02T07:00:00+07:00"), json!("2026-11-02T19:00:00+07:00"))
    );
    assert_eq!((day["received"].clone(), day["verified"].clone()), (json!(3), json!(2)));
    assert_eq!(day["by_state"], json!({"new": 1, "verified": 1, "dispatched": 1}));
    assert_eq!(
        step(day, "verify"),
        &json!({"step": "verify", "done": 2, "within": 2, "late": 0, "overdue": 1, "not_yet": 0,
            "median_s": 300, "p90_s": 1800})
    );
    // handed over: all three are open; all three are past their step's deadline at 19:00
    let mut open: Vec<String> = serde_json::from_value(day["open"].clone()).unwrap();
    open.sort();
    assert_eq!((day["open_total"].clone(), open), (json!(3), vec![a.clone(), b.clone(), c.clone()]));
    assert_eq!(day["overdue_total"], 3);
    assert_eq!(day["note"], Value::Null);

    // the note: ka_siaga only, on a snapshot listed here, 1-1000 characters; audited
    let from = day["from_ms"].as_u64().unwrap();
    let path = format!("/api/v1/rekap/shifts/{from}/note");
    let text = "B belum terverifikasi: nomor tidak aktif, coba lagi pukul 20.00. C menunggu disposisi.";
    for (who, body, status, code) in [
        (&lead, json!({"text": text}), StatusCode::FORBIDDEN, "role_may_not"),
        (&ka, json!({"text": "  "}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (&ka, json!({"text": "x".repeat(1001)}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
    ] {
        let (s, v) = who.post(&path, &body).await;
        assert_eq!((s, v["code"].as_str().unwrap_or("")), (status, code), "{v}");
    }
    let (s, v) = ka.post(&format!("/api/v1/rekap/shifts/{}/note", from + 1), &json!({"text": text})).await;
    assert_eq!((s, v["code"].as_str().unwrap_or("")), (StatusCode::NOT_FOUND, "shift_recap_not_found"), "{v}");
    let (s, v) = ka.post(&path, &json!({"text": text})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["note"]["text"].clone(), v["note"]["by"].clone()), (json!(text), json!("kasiaga")));
    let auditor = plg.login("audit").await;
    let (_, log) = auditor.get("/api/v1/access-log?action=shift_note").await;
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["actor"], "kasiaga");
    // the next shift's snapshot is not taken before it ends; the listing stays at two
    clock.set(11 * 60 + 30);
    let (_, v) = ka.get("/api/v1/rekap/shifts").await;
    assert_eq!(v["shifts"].as_array().unwrap().len(), 2);

    // the hub holds the post's snapshots, the note included, as the post lists them
    let (_, own) = ka.get("/api/v1/rekap/shifts").await;
    let hub_lead = hub.login("lead").await;
    let at_hub = eventually(30, || async {
        let (s, v) = hub_lead.get("/api/v1/rekap/shifts?node=PLG").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        (v["shifts"].as_array().unwrap().len() == 2 && !v["shifts"][0]["note"].is_null()).then_some(v)
    })
    .await;
    assert_eq!(at_hub["shifts"], own["shifts"], "the hub's copy equals the post's");
    assert_eq!(at_hub["may_note"], false, "nobody at the hub writes a post's note");
    assert!(at_hub["nodes"].as_array().unwrap().contains(&json!("PLG")), "{at_hub}");
    // a unit officer has no handover list
    let unit = plg.login("unit").await;
    let (s, v) = unit.get("/api/v1/rekap/shifts").await;
    assert_eq!((s, v["code"].as_str().unwrap_or("")), (StatusCode::FORBIDDEN, "role_may_not"));
}

fn sync_node(code: &str, hub_port: Option<u16>) -> TestNode {
    let listen = hub_port.map(|p| format!("127.0.0.1:{p}")).unwrap_or_else(|| "off".into());
    let mut n = TestNode::spawn_with(Options {
        args: vec!["--node-code".into(), code.into(), "--sync-listen".into(), listen],
        env: Options::unlimited().env,
        ..Default::default()
    });
    n.add_user("lead", "leader", None);
    n.add_user("op", "operator", None);
    n
}

/// A hub and two posts: the hub's recap of PLG equals PLG's own over the same synced events, and
/// the Polda's total is the sum of its posts.
#[tokio::test]
async fn the_hub_recaps_each_post_as_the_post_does_and_the_polda_as_their_sum() {
    let hub = sync_node("SUMSEL", Some(free_port()));
    let plg = sync_node("PLG", None);
    let oki = sync_node("OKI", None);
    enroll(&hub, &plg, "PLG");
    enroll(&hub, &oki, "OKI");
    let (op_plg, op_oki) = (plg.login("op").await, oki.login("op").await);
    let mut plg_tickets = Vec::new();
    for n in 0..4 {
        let t = file(&plg, None, 100 + n, "crime", json!({})).await;
        plg_tickets.push(t);
    }
    act(&op_plg, &plg_tickets[0], json!({"action": "verify", "method": "callback_confirmed"})).await;
    act(&op_plg, &plg_tickets[0], json!({"action": "dispatch", "unit": "PLG"})).await;
    act(&op_plg, &plg_tickets[1], json!({"action": "reject", "reason": "prank"})).await;
    act(&op_plg, &plg_tickets[2], json!({"action": "verify", "method": "callback_confirmed"})).await;
    for n in 0..2 {
        let t = file(&oki, None, 200 + n, "information", json!({})).await;
        act(&op_oki, &t, json!({"action": "verify", "method": "callback_confirmed"})).await;
    }
    let lead_hub = hub.login("lead").await;
    let lead_plg = plg.login("lead").await;
    let q = "/api/v1/rekap?group_by=node";
    let hub_view = eventually(30, || async {
        let (s, v) = lead_hub.get(q).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        (v["total"]["received"] == 6 && v["total"]["verified"] == 4).then_some(v)
    })
    .await;
    let (s, own) = lead_plg.get("/api/v1/rekap?node=PLG").await;
    assert_eq!(s, StatusCode::OK, "{own}");
    let (_, hub_plg) = lead_hub.get("/api/v1/rekap?node=PLG").await;
    assert_eq!(own["total"]["received"], 4);
    // the same figures, durations included (only the clock-relative "overdue" could differ, and
    // no deadline of the reference SOP passes during the test)
    assert_eq!(hub_plg["total"], own["total"], "the hub's PLG equals PLG's own");
    let groups = hub_view["groups"].as_array().unwrap();
    let nodes: Vec<&str> = groups.iter().map(|g| g["key"]["node"].as_str().unwrap()).collect();
    assert_eq!(nodes, ["OKI", "PLG"]);
    assert_eq!(groups[1]["figures"], own["total"]);
    for field in ["received", "verified", "rejected_total", "pranks"] {
        let sum: u64 = groups.iter().map(|g| g["figures"][field].as_u64().unwrap()).sum();
        assert_eq!(hub_view["total"][field].as_u64().unwrap(), sum, "{field}: the Polda is the sum of its posts");
    }
    for i in 0..5 {
        let sum: u64 = groups.iter().map(|g| g["figures"]["steps"][i]["done"].as_u64().unwrap()).sum();
        assert_eq!(hub_view["total"]["steps"][i]["done"].as_u64().unwrap(), sum);
    }
}

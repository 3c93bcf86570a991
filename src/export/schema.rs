//! The database schema `banpol`, as versioned migrations: the node applies the ones the
//! database lacks (`banpol.schema_migrations`), in one transaction under an advisory lock, and
//! refuses a database whose version is newer than its own. Never edit a migration that shipped:
//! add the next one.
//!
//! Times are kept twice where SQL needs both: `*_ms` (unix milliseconds, exact, what the
//! recap's arithmetic uses) and `timestamptz`. Days are WIB days (`Asia/Jakarta`).

/// Migration `i` brings the schema to version `i + 1`.
pub const MIGRATIONS: [&str; 2] = [V1, V2];

/// The schema version this binary writes.
pub fn version() -> u32 {
    MIGRATIONS.len() as u32
}

/// Creates the schema and the table of applied migrations if they are missing.
pub const BOOTSTRAP: &str = "
CREATE SCHEMA IF NOT EXISTS banpol;
CREATE TABLE IF NOT EXISTS banpol.schema_migrations (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL
);";

/// The session's staging table of case rows that replace rows the database may hold (a batch
/// `COPY`s them in, then `upsert_cases`); emptied at each commit.
pub const STAGING: &str =
    "CREATE TEMP TABLE IF NOT EXISTS cases_in (LIKE banpol.cases INCLUDING DEFAULTS) ON COMMIT DELETE ROWS";

/// Moves the staged case rows into `banpol.cases`, replacing the rows of the same tickets.
pub fn upsert_cases(columns: &str) -> String {
    let set: Vec<String> =
        columns.split(',').map(str::trim).filter(|c| *c != "ticket").map(|c| format!("{c} = excluded.{c}")).collect();
    format!(
        "INSERT INTO banpol.cases ({columns}) SELECT {columns} FROM pg_temp.cases_in \
         ON CONFLICT (ticket) DO UPDATE SET {}, exported_at = now()",
        set.join(", ")
    )
}

/// Serialises migrations between nodes exporting into one database.
pub const LOCK: &str = "SELECT pg_advisory_xact_lock(4242180001)";

const V1: &str = r#"
-- every event of the exported stores, once (event_id = ORIGIN:SEQ)
CREATE TABLE banpol.events (
    event_id text PRIMARY KEY,
    exporter text NOT NULL,
    origin text NOT NULL,
    seq bigint NOT NULL,
    epoch bigint NOT NULL,
    hlc bigint NOT NULL,
    at_ms bigint NOT NULL,
    at timestamptz NOT NULL,
    ticket text NOT NULL,
    kind text NOT NULL,
    actor_kind text NOT NULL,
    actor_role text,
    actor_unit text,
    sop_version text NOT NULL,
    drill boolean NOT NULL DEFAULT false,
    fields jsonb NOT NULL,
    exported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_ticket ON banpol.events (ticket);
CREATE INDEX events_at ON banpol.events (at);
CREATE INDEX events_kind_at ON banpol.events (kind, at);
CREATE INDEX events_origin_seq ON banpol.events (origin, seq);

-- the current projection of each case
CREATE TABLE banpol.cases (
    ticket text PRIMARY KEY,
    exporter text NOT NULL,
    origin text NOT NULL,
    owner text NOT NULL,
    category text NOT NULL,
    priority text NOT NULL,
    status text NOT NULL,
    channel text NOT NULL,
    unit text,
    regency text NOT NULL,
    regency_code text,
    district_code text,
    village_code text,
    sop_version text NOT NULL,
    created_ms bigint NOT NULL,
    created_at timestamptz NOT NULL,
    created_day date NOT NULL,
    updated_at timestamptz NOT NULL,
    verified_at timestamptz,
    rejected_at timestamptz,
    dispatched_at timestamptz,
    acknowledged_at timestamptz,
    in_progress_at timestamptz,
    resolved_at timestamptz,
    closed_at timestamptz,
    reject_reason text,
    duplicate boolean NOT NULL,
    emergency_unverified boolean NOT NULL,
    escalations integer NOT NULL,
    conflicts integer NOT NULL,
    reopened integer NOT NULL,
    prank_score integer NOT NULL,
    reporter_phone_key text NOT NULL,
    reporter_name_key text NOT NULL,
    -- only with export_personal_data = true
    reporter_phone text,
    reporter_name text,
    description text,
    address text,
    drill boolean NOT NULL DEFAULT false,
    exported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_day_unit ON banpol.cases (created_day, unit);
CREATE INDEX cases_origin_day ON banpol.cases (origin, created_day);
CREATE INDEX cases_category_day ON banpol.cases (category, created_day);
CREATE INDEX cases_status ON banpol.cases (status);
CREATE INDEX cases_area ON banpol.cases (regency_code, district_code);
CREATE INDEX cases_reporter ON banpol.cases (reporter_phone_key);
CREATE INDEX cases_exporter ON banpol.cases (exporter);

-- each wait of a case on an SOP step: from entering the state that awaits it to leaving it
CREATE TABLE banpol.case_steps (
    ticket text NOT NULL,
    step text NOT NULL,
    n integer NOT NULL,
    entered_ms bigint NOT NULL,
    left_ms bigint,
    left_by text NOT NULL,
    deadline_ms bigint,
    PRIMARY KEY (ticket, step, n)
);
CREATE INDEX case_steps_step ON banpol.case_steps (step);

-- how far each origin's log (per epoch) is in this database: written in the same transaction
-- as the events up to it
CREATE TABLE banpol.export_cursor (
    origin text NOT NULL,
    epoch bigint NOT NULL,
    exporter text NOT NULL,
    last_seq bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (origin, epoch)
);

-- the recap's step figures (model::recap), per WIB day of the report, node, unit and step,
-- followed up to now: done, within, late, overdue (pending past the deadline), not yet due,
-- share within = within / (done + overdue), exact nearest-rank median and p90 of the done
CREATE VIEW banpol.step_compliance AS
SELECT c.created_day AS day, c.origin AS node, coalesce(c.unit, '') AS unit, s.step,
    count(*) FILTER (WHERE s.left_ms IS NOT NULL) AS done,
    count(*) FILTER (WHERE s.left_ms IS NOT NULL
        AND (s.deadline_ms IS NULL OR s.left_ms - s.entered_ms <= s.deadline_ms)) AS within,
    count(*) FILTER (WHERE s.left_ms IS NOT NULL AND s.left_ms - s.entered_ms > s.deadline_ms) AS late,
    count(*) FILTER (WHERE s.left_ms IS NULL
        AND s.entered_ms + s.deadline_ms < (extract(epoch FROM now()) * 1000)::bigint) AS overdue,
    count(*) FILTER (WHERE s.left_ms IS NULL AND (s.deadline_ms IS NULL
        OR s.entered_ms + s.deadline_ms >= (extract(epoch FROM now()) * 1000)::bigint)) AS not_yet,
    percentile_disc(0.5) WITHIN GROUP (ORDER BY s.left_ms - s.entered_ms)
        FILTER (WHERE s.left_ms IS NOT NULL) AS median_ms,
    percentile_disc(0.9) WITHIN GROUP (ORDER BY s.left_ms - s.entered_ms)
        FILTER (WHERE s.left_ms IS NOT NULL) AS p90_ms
FROM banpol.case_steps s JOIN banpol.cases c USING (ticket)
GROUP BY 1, 2, 3, 4;

CREATE VIEW banpol.step_compliance_share AS
SELECT *, within::double precision / nullif(done + overdue, 0) AS share_within
FROM banpol.step_compliance;

-- each done step with its duration (for percentiles over any period or grouping)
CREATE VIEW banpol.step_durations AS
SELECT c.created_day AS day, c.origin AS node, coalesce(c.unit, '') AS unit, c.category, c.priority,
    s.ticket, s.step, s.n, s.left_ms - s.entered_ms AS duration_ms, s.deadline_ms,
    (s.deadline_ms IS NULL OR s.left_ms - s.entered_ms <= s.deadline_ms) AS within, s.left_by
FROM banpol.case_steps s JOIN banpol.cases c USING (ticket)
WHERE s.left_ms IS NOT NULL;

-- reports received per WIB day, node, unit and category; prank rate = rejected as prank / received
CREATE VIEW banpol.daily_cases AS
SELECT created_day AS day, origin AS node, coalesce(unit, '') AS unit, category,
    count(*) AS received,
    count(*) FILTER (WHERE verified_at IS NOT NULL) AS verified,
    count(*) FILTER (WHERE status = 'rejected') AS rejected,
    count(*) FILTER (WHERE status = 'rejected' AND reject_reason = 'prank') AS pranks,
    count(*) FILTER (WHERE status = 'rejected' AND duplicate) AS duplicates,
    count(*) FILTER (WHERE emergency_unverified) AS emergency_unverified,
    sum(reopened) AS reopened,
    sum(escalations) AS escalations,
    (count(*) FILTER (WHERE status = 'rejected' AND reject_reason = 'prank'))::double precision
        / count(*) AS prank_rate
FROM banpol.cases
GROUP BY 1, 2, 3, 4;
"#;

/// Version 2: the recap's figures as of a period's end. `recap_cases` and `recap_steps` give,
/// for the reports received in `[from, to)`, each case and each step wait as it stood at the
/// period end `E = least(to, now())`, by the recap's definitions (`model::recap`); the views are
/// each WIB day's recap (`/rekap?from=DAY&to=DAY`), so a closed day's figures no longer move.
/// Drill cases (Latihan) are marked and left out, as the recap leaves them out.
const V2: &str = r#"
ALTER TABLE banpol.cases
    ADD COLUMN verified_ms bigint,
    ADD COLUMN state_trail text[] NOT NULL DEFAULT '{}',
    ADD COLUMN state_trail_ms bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN escalations_ms bigint[] NOT NULL DEFAULT '{}';
-- every index is paid for by every row written: these three served no common filter (an event
-- is found by its event_id, ORIGIN:SEQ; a rebuild scans cases once; a status has 8 values)
DROP INDEX banpol.events_origin_seq;
DROP INDEX banpol.cases_exporter;
DROP INDEX banpol.cases_status;
DROP VIEW banpol.step_compliance_share;
DROP VIEW banpol.step_compliance;
DROP VIEW banpol.step_durations;
DROP VIEW banpol.daily_cases;

-- unix milliseconds of a time
CREATE FUNCTION banpol.ms(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (extract(epoch FROM t) * 1000)::bigint $$;

-- each case received in [p_from, p_to), as it stood at E = least(p_to, now()): the state it was
-- in, verified, rejected (and why), reopenings, escalations and emergencies dispatched before
-- verification up to E (model::recap)
CREATE FUNCTION banpol.recap_cases(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (ticket text, node text, unit text, category text, priority text, channel text,
    regency text, district_code text, day date, end_ms bigint, status text, verified boolean,
    reject_reason text, prank boolean, duplicate boolean, emergency_unverified boolean,
    reopened integer, escalations integer, conflicts integer)
LANGUAGE sql STABLE AS $$
SELECT c.ticket, c.origin, coalesce(c.unit, ''), c.category, c.priority, c.channel, c.regency,
    c.district_code, c.created_day, e.ms, st.status,
    coalesce(c.verified_ms <= e.ms, false),
    CASE WHEN st.status = 'rejected' THEN coalesce(c.reject_reason, '') END,
    st.status = 'rejected' AND coalesce(c.reject_reason = 'prank', false),
    st.status = 'rejected' AND c.duplicate,
    c.emergency_unverified AND EXISTS (
        SELECT 1 FROM unnest(c.state_trail, c.state_trail_ms) WITH ORDINALITY a(s, t, i)
        JOIN unnest(c.state_trail, c.state_trail_ms) WITH ORDINALITY b(s, t, i) ON b.i = a.i + 1
        WHERE a.s = 'new' AND b.s = 'dispatched' AND b.t <= e.ms),
    (SELECT count(*)::integer FROM unnest(c.state_trail, c.state_trail_ms) WITH ORDINALITY a(s, t, i)
        JOIN unnest(c.state_trail, c.state_trail_ms) WITH ORDINALITY b(s, t, i) ON b.i = a.i + 1
        WHERE a.s = 'resolved' AND b.s = 'in_progress' AND b.t <= e.ms),
    (SELECT count(*)::integer FROM unnest(c.escalations_ms) x(t) WHERE x.t <= e.ms),
    c.conflicts
FROM banpol.cases c
CROSS JOIN LATERAL (SELECT least(banpol.ms(p_to), banpol.ms(now())) AS ms) e
CROSS JOIN LATERAL (SELECT coalesce((SELECT x.s FROM unnest(c.state_trail, c.state_trail_ms)
    WITH ORDINALITY x(s, t, i) WHERE x.t <= e.ms ORDER BY x.i DESC LIMIT 1), 'new') AS status) st
WHERE NOT c.drill
    AND c.created_day BETWEEN (p_from AT TIME ZONE 'Asia/Jakarta')::date
        AND (p_to AT TIME ZONE 'Asia/Jakarta')::date
    AND c.created_ms >= banpol.ms(p_from) AND c.created_ms < banpol.ms(p_to)
$$;

-- each step wait of those cases that began by E, as it stood at E: within or late (done by E,
-- with its duration), overdue or not_yet (pending at E, past its deadline or not)
CREATE FUNCTION banpol.recap_steps(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (ticket text, node text, unit text, category text, priority text, channel text,
    regency text, district_code text, day date, end_ms bigint, step text, n integer,
    entered_ms bigint, left_ms bigint, left_by text, deadline_ms bigint, duration_ms bigint,
    standing text)
LANGUAGE sql STABLE AS $$
SELECT r.ticket, r.node, r.unit, r.category, r.priority, r.channel, r.regency, r.district_code,
    r.day, r.end_ms, s.step, s.n, s.entered_ms,
    CASE WHEN s.left_ms <= r.end_ms THEN s.left_ms END,
    CASE WHEN s.left_ms <= r.end_ms THEN s.left_by END,
    s.deadline_ms,
    CASE WHEN s.left_ms <= r.end_ms THEN s.left_ms - s.entered_ms END,
    CASE WHEN s.left_ms <= r.end_ms THEN
            CASE WHEN s.deadline_ms IS NULL OR s.left_ms - s.entered_ms <= s.deadline_ms
                THEN 'within' ELSE 'late' END
        WHEN s.entered_ms + s.deadline_ms < r.end_ms THEN 'overdue'
        ELSE 'not_yet' END
FROM banpol.recap_cases(p_from, p_to) r JOIN banpol.case_steps s USING (ticket)
WHERE s.entered_ms <= r.end_ms
$$;

-- the WIB days that have reports
CREATE VIEW banpol.report_days AS
SELECT DISTINCT created_day AS day,
    created_day::timestamp AT TIME ZONE 'Asia/Jakarta' AS day_start,
    (created_day + 1)::timestamp AT TIME ZONE 'Asia/Jakarta' AS day_end
FROM banpol.cases;

-- per WIB day of the report, node, unit and step: that day's recap (followed up to the day's
-- end, or now): done, within, late, overdue, not yet, exact nearest-rank median and p90
CREATE VIEW banpol.step_compliance AS
SELECT d.day, r.node, r.unit, r.step,
    count(*) FILTER (WHERE r.standing IN ('within', 'late')) AS done,
    count(*) FILTER (WHERE r.standing = 'within') AS within,
    count(*) FILTER (WHERE r.standing = 'late') AS late,
    count(*) FILTER (WHERE r.standing = 'overdue') AS overdue,
    count(*) FILTER (WHERE r.standing = 'not_yet') AS not_yet,
    percentile_disc(0.5) WITHIN GROUP (ORDER BY r.duration_ms)
        FILTER (WHERE r.duration_ms IS NOT NULL) AS median_ms,
    percentile_disc(0.9) WITHIN GROUP (ORDER BY r.duration_ms)
        FILTER (WHERE r.duration_ms IS NOT NULL) AS p90_ms
FROM banpol.report_days d CROSS JOIN LATERAL banpol.recap_steps(d.day_start, d.day_end) r
GROUP BY 1, 2, 3, 4;

CREATE VIEW banpol.step_compliance_share AS
SELECT *, within::double precision / nullif(done + overdue, 0) AS share_within
FROM banpol.step_compliance;

-- each step done by the end of its report's WIB day (that day's recap), with its duration
CREATE VIEW banpol.step_durations AS
SELECT d.day, r.node, r.unit, r.category, r.priority, r.ticket, r.step, r.n, r.duration_ms,
    r.deadline_ms, r.standing = 'within' AS within, r.left_by
FROM banpol.report_days d CROSS JOIN LATERAL banpol.recap_steps(d.day_start, d.day_end) r
WHERE r.duration_ms IS NOT NULL;

-- reports received per WIB day, node, unit and category, as that day's recap; prank rate =
-- rejected as prank / received
CREATE VIEW banpol.daily_cases AS
SELECT d.day, r.node, r.unit, r.category,
    count(*) AS received,
    count(*) FILTER (WHERE r.verified) AS verified,
    count(*) FILTER (WHERE r.status = 'rejected') AS rejected,
    count(*) FILTER (WHERE r.prank) AS pranks,
    count(*) FILTER (WHERE r.duplicate) AS duplicates,
    count(*) FILTER (WHERE r.emergency_unverified) AS emergency_unverified,
    sum(r.reopened) AS reopened,
    sum(r.escalations) AS escalations,
    (count(*) FILTER (WHERE r.prank))::double precision / count(*) AS prank_rate
FROM banpol.report_days d CROSS JOIN LATERAL banpol.recap_cases(d.day_start, d.day_end) r
GROUP BY 1, 2, 3, 4;
"#;

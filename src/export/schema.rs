//! The database schema `banpol`, as versioned migrations: the node applies the ones the
//! database lacks (`banpol.schema_migrations`), in one transaction under an advisory lock, and
//! refuses a database whose version is newer than its own. Never edit a migration that shipped:
//! add the next one.
//!
//! Times are kept twice where SQL needs both: `*_ms` (unix milliseconds, exact, what the
//! recap's arithmetic uses) and `timestamptz`. Days are WIB days (`Asia/Jakarta`).

/// Migration `i` brings the schema to version `i + 1`.
pub const MIGRATIONS: [&str; 1] = [V1];

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

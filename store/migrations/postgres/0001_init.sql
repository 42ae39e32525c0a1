-- Atzinums store schema (PostgreSQL). Kept column-for-column equal to ../sqlite/0001_init.sql:
-- the same SQL text runs on both, so only DDL differs (BLOB vs BYTEA, trigger syntax).
-- Times are Unix milliseconds (BIGINT); calendar dates are ISO-8601 TEXT.

CREATE TABLE persons (
    id           TEXT PRIMARY KEY,
    code_lookup  TEXT NOT NULL UNIQUE,  -- keyed hash (HMAC-SHA256) of the personal code
    code_sealed  BYTEA NOT NULL,         -- the personal code, AES-256-GCM
    birth_date   TEXT,
    sex          TEXT,
    region       TEXT,
    created_at   BIGINT NOT NULL
);

CREATE TABLE applications (
    id                    TEXT PRIMARY KEY,
    person_id             TEXT NOT NULL REFERENCES persons(id),
    kind                  TEXT NOT NULL,
    channel               TEXT NOT NULL,
    submitted_at          BIGINT NOT NULL,
    submitted_by_role     TEXT NOT NULL,
    submitted_by          TEXT NOT NULL,
    representative_sealed BYTEA,
    requested_opinions    TEXT NOT NULL,  -- JSON array of opinion kinds
    previous_case_id      TEXT,
    idempotency_key       TEXT UNIQUE,
    fingerprint           TEXT NOT NULL   -- sha256 of the submission, to tell a retry from a clash
);

CREATE TABLE documents (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id),
    position       INTEGER NOT NULL,
    file_name      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    issued_at      TEXT,
    size_bytes     BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    uploaded_at    BIGINT NOT NULL,
    UNIQUE (application_id, position)
);
CREATE INDEX documents_sha256 ON documents(sha256);

CREATE TABLE cases (
    id             TEXT PRIMARY KEY,  -- human case number, C-YYYY-NNNNNN
    application_id TEXT NOT NULL UNIQUE REFERENCES applications(id),
    status         TEXT NOT NULL,
    priority       INTEGER NOT NULL,
    deadline       TEXT NOT NULL,     -- legal deadline (1 month from filing)
    version        BIGINT NOT NULL,   -- optimistic concurrency for status changes
    updated_at     BIGINT NOT NULL
);
CREATE INDEX cases_status ON cases(status, deadline);

CREATE TABLE case_status_history (
    case_id     TEXT NOT NULL REFERENCES cases(id),
    seq         BIGINT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    event       TEXT,
    actor_role  TEXT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT,
    at          BIGINT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE decisions (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL UNIQUE REFERENCES cases(id),
    outcome    TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    signed_by  TEXT NOT NULL,
    body       TEXT NOT NULL,  -- decision.json of the dataset format
    created_at BIGINT NOT NULL
);

CREATE TABLE review_tasks (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(id),
    queue       TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    deadline    TEXT NOT NULL,
    state       TEXT NOT NULL,  -- open | claimed | done | cancelled
    claimed_by  TEXT,
    lease_until BIGINT,
    created_at  BIGINT NOT NULL,
    closed_at   BIGINT
);
-- At most one live task per case: two experts can never hold one case.
CREATE UNIQUE INDEX review_tasks_one_live ON review_tasks(case_id) WHERE state IN ('open', 'claimed');
CREATE INDEX review_tasks_queue ON review_tasks(queue, state, deadline);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    case_id      TEXT,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL,  -- queued | running | done | dead
    priority     INTEGER NOT NULL,
    attempts     INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    run_at       BIGINT NOT NULL,
    lease_token  TEXT,
    lease_until  BIGINT,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs(state, priority, run_at);
CREATE INDEX jobs_leased ON jobs(state, lease_until);

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor_role TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    details    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
-- The chain head: lets verify notice rows cut from the end, and serialises appends.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

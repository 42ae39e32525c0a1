-- What the web service needs (kept column-for-column equal across engines): people's sessions,
-- institutions' tokens, the experts' edits of drafts, certificates and the status change feed.

-- A signed-in person. Only a hash of the cookie value is stored: a database leak does not
-- hand out sessions.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,   -- pseudonymous; what audit entries name
    role          TEXT NOT NULL,
    person_sealed BLOB,            -- the person's own code (applicants, representatives), sealed
    csrf          TEXT NOT NULL,   -- forms and cookie-authenticated API calls must echo it
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Another institution's access to the status service, by scope.
CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,
    institution TEXT NOT NULL,
    scopes      TEXT NOT NULL,     -- space-separated, e.g. "status:read"
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

-- An expert's version of a draft: the proposed decision and its diff against the draft, both
-- in one encrypted blob (they hold health data). The approved one is what the official signs.
CREATE TABLE proposals (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(id),
    seq         BIGINT NOT NULL,
    draft_id    TEXT,
    expert      TEXT NOT NULL,
    approved    INTEGER NOT NULL,
    blob_sha256 TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (case_id, seq)
);

-- Disability certificates: one issued with a decision that grants a status, more as duplicates.
CREATE TABLE certificates (
    id           TEXT PRIMARY KEY,   -- A-YYYY-NNNNNN
    case_id      TEXT NOT NULL REFERENCES cases(id),
    duplicate_of TEXT REFERENCES certificates(id),
    issued_at    BIGINT NOT NULL
);

-- What institutions follow by cursor: a person's status changed with this case's decision.
CREATE TABLE status_changes (
    seq           BIGINT PRIMARY KEY,
    person_lookup TEXT NOT NULL,
    case_id       TEXT NOT NULL REFERENCES cases(id),
    at            BIGINT NOT NULL
);

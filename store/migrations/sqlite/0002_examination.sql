-- The examination pipeline's durable results (kept column-for-column equal across engines).
-- The case file and the draft record hold health data, so their bodies live in the encrypted
-- blob store; these rows point at them and carry what queues and quality need.

-- The assembled case file of a case's documents, as the ingest step last read it.
CREATE TABLE case_files (
    case_id      TEXT PRIMARY KEY REFERENCES cases(id),
    blob_sha256  TEXT NOT NULL,
    documents    INTEGER NOT NULL,
    created_at   BIGINT NOT NULL
);

-- Drafts of a case, newest current. The id is the pipeline's draft id (a hash of the
-- provenance), so re-running a step on the same inputs finds the same row.
CREATE TABLE drafts (
    id           TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL REFERENCES cases(id),
    is_current   INTEGER NOT NULL,
    route        TEXT NOT NULL,   -- standard | complex | incomplete
    outcome      TEXT NOT NULL,
    blob_sha256  TEXT NOT NULL,   -- the draft record (provenance, texts, verification) as JSON
    created_at   BIGINT NOT NULL
);
-- Exactly one current draft per case, whatever retries and crashes do.
CREATE UNIQUE INDEX drafts_one_current ON drafts(case_id) WHERE is_current = 1;

-- The draft a signed decision was made from, so quality can compare the two.
ALTER TABLE decisions ADD COLUMN draft_id TEXT;

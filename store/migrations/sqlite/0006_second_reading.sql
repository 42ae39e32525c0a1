-- A sample of signed decisions read again, blind, by a second medical expert: how far experts
-- agree with each other (Cohen's kappa in the quality console). One reading per case.
CREATE TABLE second_readings (
    case_id                TEXT PRIMARY KEY REFERENCES cases(id),
    sampled_by             TEXT NOT NULL,
    sampled_at             BIGINT NOT NULL,
    reader                 TEXT,
    outcome                TEXT,
    work_capacity_loss_pct INTEGER,
    read_at                BIGINT
);
CREATE INDEX second_readings_open ON second_readings(read_at, sampled_at);

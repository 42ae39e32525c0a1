-- A person's "my data" view lists who read their cases and their status: audit entries by
-- subject (a case id, or the short keyed hash of a personal code for status reads).
CREATE INDEX audit_log_subject ON audit_log(subject, seq);

-- The quality console reads signed decisions by when they were signed.
CREATE INDEX decisions_created_at ON decisions(created_at);

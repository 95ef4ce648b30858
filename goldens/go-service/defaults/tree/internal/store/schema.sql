-- Applied by `demo-service migrate` with an administrative DATABASE_URL; the
-- service itself never runs DDL, so its runtime role needs only SELECT,
-- INSERT, UPDATE and DELETE on the tables below. Every statement is
-- idempotent: run it on every release.
CREATE TABLE IF NOT EXISTS notes (
    id    char(32) PRIMARY KEY,
    owner text     NOT NULL,
    title text     NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    body  bytea    NOT NULL
);
-- version is the optimistic-concurrency counter behind ETag and If-Match.
ALTER TABLE notes ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 1 CHECK (version >= 1);

-- Applied by `hostile-svc migrate` with an administrative DATABASE_URL; the
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
-- Each owner's usage, kept by every write in the same statement as the note,
-- so the per-owner quota holds across replicas. Notes written before this
-- table existed are counted once, when it is created.
CREATE TABLE IF NOT EXISTS note_owners (
    owner text   PRIMARY KEY,
    notes bigint NOT NULL CHECK (notes >= 0),
    bytes bigint NOT NULL CHECK (bytes >= 0)
);
INSERT INTO note_owners (owner, notes, bytes)
    SELECT owner, count(*), sum(octet_length(title) + octet_length(body)) FROM notes GROUP BY owner
    ON CONFLICT (owner) DO NOTHING;
-- Browser sessions, shared by every replica (internal/session): one row per
-- login (token family) holding SHA-256 hashes of its current session ID and
-- refresh token, never a token.
CREATE TABLE IF NOT EXISTS session_families (
    id              text        PRIMARY KEY CHECK (char_length(id) <= 64),
    subject         text        NOT NULL,
    roles           text[]      NOT NULL,
    refresh_hash    bytea       NOT NULL CHECK (octet_length(refresh_hash) = 32),
    refresh_expires timestamptz NOT NULL,
    session_hash    bytea       NOT NULL CHECK (octet_length(session_hash) = 32),
    session_expires timestamptz NOT NULL,
    expires         timestamptz NOT NULL,
    created         timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS session_families_subject ON session_families (subject, created);
CREATE INDEX IF NOT EXISTS session_families_refresh_expires ON session_families (refresh_expires);

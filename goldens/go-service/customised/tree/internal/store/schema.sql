CREATE TABLE IF NOT EXISTS notes (
    id    char(32) PRIMARY KEY,
    owner text     NOT NULL,
    title text     NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    body  bytea    NOT NULL
);

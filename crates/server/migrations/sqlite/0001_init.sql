-- Accounts, sessions, content-addressed blobs and files (SQLite).
-- Flags are BIGINT 0/1 and times are microseconds since the epoch, so that one set of
-- portable queries reads both databases the same way.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    email TEXT,
    email_key TEXT UNIQUE,
    first_name TEXT,
    last_name TEXT,
    password_hash TEXT NOT NULL,
    is_admin BIGINT NOT NULL DEFAULT 0,
    disabled BIGINT NOT NULL DEFAULT 0,
    quota_bytes BIGINT NOT NULL,
    used_bytes BIGINT NOT NULL DEFAULT 0,
    file_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);

-- One row per stored content per store; files reference it, refcount counts them.
CREATE TABLE contents (
    id TEXT PRIMARY KEY,
    store TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    blob_key TEXT NOT NULL,
    refcount BIGINT NOT NULL,
    cid TEXT,
    car_cid TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (store, sha256)
);
CREATE INDEX contents_unreferenced ON contents(refcount) WHERE refcount = 0;
CREATE INDEX contents_by_blob_key ON contents(blob_key);

CREATE TABLE files (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    content_id TEXT NOT NULL REFERENCES contents(id),
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (owner_id, path)
);
CREATE INDEX files_by_content ON files(content_id);

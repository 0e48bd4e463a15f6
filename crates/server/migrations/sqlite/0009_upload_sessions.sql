-- Resumable uploads: a session per upload, its bytes kept by the blob store until the
-- last one arrives. The quota held by open sessions is `reserved_bytes` on the user, so
-- parallel sessions cannot together overrun it.
CREATE TABLE upload_sessions (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    mode TEXT NOT NULL,
    content_type TEXT,
    modified_at BIGINT,
    length BIGINT,
    upload_offset BIGINT NOT NULL DEFAULT 0,
    reserved_bytes BIGINT NOT NULL DEFAULT 0,
    store TEXT NOT NULL,
    metadata TEXT,
    file_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX upload_sessions_by_expiry ON upload_sessions(expires_at);
CREATE INDEX upload_sessions_by_owner ON upload_sessions(owner_id);

ALTER TABLE users ADD COLUMN reserved_bytes BIGINT NOT NULL DEFAULT 0;

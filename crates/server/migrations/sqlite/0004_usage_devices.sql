-- Usage counters, daily metering, and devices (with their sessions).
ALTER TABLE users ADD COLUMN uploaded_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN downloaded_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN active_seconds BIGINT NOT NULL DEFAULT 0;

CREATE TABLE usage_daily (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    uploaded_bytes BIGINT NOT NULL DEFAULT 0,
    downloaded_bytes BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day)
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    peer_id TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT,
    UNIQUE (user_id, peer_id)
);

ALTER TABLE sessions ADD COLUMN device_id TEXT REFERENCES devices(id) ON DELETE CASCADE;

-- Shares, public links, messages, and server-wide secrets.
CREATE TABLE shares (
    file_id TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (file_id, user_id)
);
CREATE INDEX shares_by_user ON shares(user_id, created_at);

-- Link tokens are not stored: each is an HMAC of the link id under the server's signing
-- key, so the owner can be shown it again; lookups go through its SHA-256.
CREATE TABLE links (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    file_id TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    password_hash TEXT,
    expires_at BIGINT,
    max_downloads BIGINT,
    download_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX links_by_file ON links(file_id);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    sender_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    recipient_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    body TEXT,
    file_id TEXT REFERENCES files(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    hidden_for_sender BIGINT NOT NULL DEFAULT 0,
    hidden_for_recipient BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX messages_inbox ON messages(recipient_id, created_at);
CREATE INDEX messages_sent ON messages(sender_id, created_at);

CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

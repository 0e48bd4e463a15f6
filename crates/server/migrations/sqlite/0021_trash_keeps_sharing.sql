-- What a trashed file had besides its bytes, so that a restore brings it back: the users
-- it was shared with, its public links (tokens, passwords and counters as they were) and
-- the messages it was attached to. Moving a file out of `files` ends these at once (the
-- foreign keys cascade or set null), so nobody reaches a trashed file meanwhile.
CREATE TABLE trashed_shares (
    trash_id TEXT NOT NULL REFERENCES trash_items(id) ON DELETE CASCADE,
    file_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX trashed_shares_by_item ON trashed_shares(trash_id);

CREATE TABLE trashed_links (
    id TEXT PRIMARY KEY,
    trash_id TEXT NOT NULL REFERENCES trash_items(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    file_id TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    password_hash TEXT,
    expires_at BIGINT,
    max_downloads BIGINT,
    download_count BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX trashed_links_by_item ON trashed_links(trash_id);

CREATE TABLE trashed_attachments (
    trash_id TEXT NOT NULL REFERENCES trash_items(id) ON DELETE CASCADE,
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    file_id TEXT NOT NULL
);
CREATE INDEX trashed_attachments_by_item ON trashed_attachments(trash_id);

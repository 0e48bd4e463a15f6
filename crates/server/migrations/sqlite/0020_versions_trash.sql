-- Versions and the trash. A replaced file's earlier content stays as a version (its
-- reference on the content kept, so the bytes stay); a deleted file or folder moves to
-- the trash, its file rows kept in `trashed_files` with their ids so a restore brings
-- back the same files (and their versions). Neither table references `files`: a version
-- outlives its file's stay in the trash, and a trashed file has no `files` row. Both
-- count against the owner's quota, in `versions_bytes` and `trash_bytes`.
CREATE TABLE file_versions (
    id TEXT PRIMARY KEY,
    file_id TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content_id TEXT NOT NULL REFERENCES contents(id),
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    s3_etag TEXT,
    user_metadata TEXT,
    modified_at BIGINT NOT NULL,
    -- When this content became the file's, and when it stopped being it.
    created_at BIGINT NOT NULL,
    archived_at BIGINT NOT NULL
);
CREATE INDEX file_versions_by_file ON file_versions(file_id, archived_at);
CREATE INDEX file_versions_by_owner ON file_versions(owner_id, archived_at);
CREATE INDEX file_versions_by_age ON file_versions(archived_at);

CREATE TABLE trash_items (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    size BIGINT NOT NULL,
    file_count BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL
);
CREATE INDEX trash_items_by_owner ON trash_items(owner_id, deleted_at);
CREATE INDEX trash_items_by_age ON trash_items(deleted_at);

CREATE TABLE trashed_files (
    id TEXT PRIMARY KEY,
    trash_id TEXT NOT NULL REFERENCES trash_items(id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    content_id TEXT NOT NULL REFERENCES contents(id),
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    modified_at BIGINT,
    s3_etag TEXT,
    user_metadata TEXT
);
CREATE INDEX trashed_files_by_item ON trashed_files(trash_id);
CREATE INDEX trashed_files_by_owner ON trashed_files(owner_id);

CREATE TABLE trashed_folders (
    trash_id TEXT NOT NULL REFERENCES trash_items(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (trash_id, path)
);

ALTER TABLE users ADD COLUMN versions_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN trash_bytes BIGINT NOT NULL DEFAULT 0;

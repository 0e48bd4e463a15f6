-- Real folders, modification times, one-level listings and search by name.
-- `dir` is the parent folder's path ('' at the top), so a folder's children are one
-- index range; `name_key` is the lower-cased last segment, for search. Existing rows are
-- filled in by the migrator's code step (SQLite has no string functions to split paths).
CREATE TABLE folders (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    dir TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (owner_id, path)
);
CREATE INDEX folders_by_dir ON folders(owner_id, dir, path);

ALTER TABLE files ADD COLUMN modified_at BIGINT;
ALTER TABLE files ADD COLUMN dir TEXT;
ALTER TABLE files ADD COLUMN name_key TEXT;
UPDATE files SET modified_at = updated_at;
CREATE INDEX files_by_dir ON files(owner_id, dir, path);

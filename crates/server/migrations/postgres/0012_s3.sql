-- The S3 API: access keys (the secret sealed with the at-rest key, since SigV4 needs
-- it), the MD5 of each content (S3 ETags; filled in the background for older rows),
-- per-file S3 attributes (a multipart ETag and x-amz-meta-* metadata, reset by any
-- other write), and multipart uploads whose parts are contents of their own.
CREATE TABLE access_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    access_key_id TEXT NOT NULL UNIQUE,
    secret_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX access_keys_by_user ON access_keys(user_id);

ALTER TABLE contents ADD COLUMN md5 TEXT;
CREATE INDEX contents_missing_md5 ON contents(created_at) WHERE md5 IS NULL;

ALTER TABLE files ADD COLUMN s3_etag TEXT;
ALTER TABLE files ADD COLUMN user_metadata TEXT;

CREATE TABLE s3_multipart_uploads (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path TEXT COLLATE "C" NOT NULL,
    content_type TEXT,
    user_metadata TEXT,
    reserved_bytes BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX s3_multipart_by_owner ON s3_multipart_uploads(owner_id, path);

CREATE TABLE s3_multipart_parts (
    upload_id TEXT NOT NULL REFERENCES s3_multipart_uploads(id) ON DELETE CASCADE,
    part_number BIGINT NOT NULL,
    content_id TEXT NOT NULL REFERENCES contents(id),
    size BIGINT NOT NULL,
    md5 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
CREATE INDEX s3_multipart_parts_by_content ON s3_multipart_parts(content_id);

-- Completed uploads, remembered a day: S3 answers a repeated completion (a client
-- retrying after a lost response) with the same result.
CREATE TABLE s3_completed_uploads (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    etag TEXT NOT NULL,
    completed_at BIGINT NOT NULL
);

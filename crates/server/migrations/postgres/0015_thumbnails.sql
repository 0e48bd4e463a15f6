-- Image thumbnails, made on first request and kept as derived content: one per distinct
-- source content (by SHA-256, so identical images share it), removed when the last
-- stored copy of that content is reclaimed.
CREATE TABLE thumbnails (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    data BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

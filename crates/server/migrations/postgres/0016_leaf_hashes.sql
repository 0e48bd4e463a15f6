-- The SHA-256 of each 256 KiB chunk of a content, 32 bytes each, in order (the UnixFS
-- raw leaves' hashes): a ranged read checks the chunks it covers against them. NULL for
-- contents stored before this, until the scrub re-hashes them and fills it in.
ALTER TABLE contents ADD COLUMN leaf_sha256 BYTEA;

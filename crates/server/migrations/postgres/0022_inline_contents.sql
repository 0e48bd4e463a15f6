-- Small contents kept in the metadata database, written in the same transaction as the
-- file that references them (no blob file, no fsync of their own). Their blob_key is
-- 'inline:…' and names no blob; NULL for contents kept as blobs.
ALTER TABLE contents ADD COLUMN inline_data BYTEA;

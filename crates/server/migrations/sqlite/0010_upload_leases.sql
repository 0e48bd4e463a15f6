-- What a blob store keeps of an open session between appends (on S3: the multipart
-- upload's id, its parts and the tail object), moved together with the offset; and the
-- lease an append holds while it writes to a store that several instances share.
ALTER TABLE upload_sessions ADD COLUMN store_state TEXT;
ALTER TABLE upload_sessions ADD COLUMN lease_token TEXT;
ALTER TABLE upload_sessions ADD COLUMN lease_until BIGINT;

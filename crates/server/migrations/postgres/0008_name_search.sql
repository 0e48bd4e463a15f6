-- Search by name without scanning a user's files: trigram GIN indexes serve
-- `name_key LIKE '%text%'` directly. pg_trgm ships with PostgreSQL and is a trusted
-- extension, so the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX files_name_trgm ON files USING gin (name_key gin_trgm_ops);
CREATE INDEX folders_name_trgm ON folders USING gin (name_key gin_trgm_ops);

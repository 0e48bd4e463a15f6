-- Damaged content: a full read or the scrub found the stored bytes no longer match
-- their SHA-256. Such content is never served again (reads are refused) until the same
-- bytes are uploaded anew, which heals it. `scrubbed_at` orders the background scrub.
ALTER TABLE contents ADD COLUMN damaged_at BIGINT;
ALTER TABLE contents ADD COLUMN scrubbed_at BIGINT;
CREATE INDEX contents_by_scrubbed_at ON contents(scrubbed_at);

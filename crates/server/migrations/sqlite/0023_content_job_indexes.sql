-- Two background jobs read an index instead of the whole contents table: the CAR
-- indexer (which looks after every upload batch) finds the few rows still missing a CAR
-- through a partial index, and the scrub takes the least recently checked first in the
-- order of its ORDER BY (the plain scrubbed_at index could not serve COALESCE).
CREATE INDEX contents_missing_car ON contents(id) WHERE car_cid IS NULL;
DROP INDEX contents_by_scrubbed_at;
CREATE INDEX contents_scrub_order ON contents(COALESCE(scrubbed_at, 0), id);

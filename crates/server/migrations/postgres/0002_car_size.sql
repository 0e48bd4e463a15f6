-- The size of each content's CARv1 export, known once car_cid is computed.
ALTER TABLE contents ADD COLUMN car_size BIGINT;

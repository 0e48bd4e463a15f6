-- Search by name without scanning a user's files: trigram indexes of file and folder
-- names (FTS5's trigram tokenizer), kept in step with the tables by triggers. The
-- indexes hold rowids; a VACUUM can renumber them, after which
-- `INSERT INTO files_names(files_names) VALUES ('rebuild')` (and likewise for
-- folders_names) restores them. Nimbus itself never vacuums, and every hit is checked
-- against the row again, so a stale index can only miss, never mislead.
CREATE VIRTUAL TABLE files_names USING fts5(name_key, content='files', content_rowid='rowid', tokenize='trigram');
CREATE TRIGGER files_names_insert AFTER INSERT ON files BEGIN INSERT INTO files_names(rowid, name_key) VALUES (new.rowid, new.name_key); END;
CREATE TRIGGER files_names_delete AFTER DELETE ON files BEGIN INSERT INTO files_names(files_names, rowid, name_key) VALUES ('delete', old.rowid, old.name_key); END;
CREATE TRIGGER files_names_update AFTER UPDATE OF name_key ON files BEGIN INSERT INTO files_names(files_names, rowid, name_key) VALUES ('delete', old.rowid, old.name_key); INSERT INTO files_names(rowid, name_key) VALUES (new.rowid, new.name_key); END;
INSERT INTO files_names(files_names) VALUES ('rebuild');

CREATE VIRTUAL TABLE folders_names USING fts5(name_key, content='folders', content_rowid='rowid', tokenize='trigram');
CREATE TRIGGER folders_names_insert AFTER INSERT ON folders BEGIN INSERT INTO folders_names(rowid, name_key) VALUES (new.rowid, new.name_key); END;
CREATE TRIGGER folders_names_delete AFTER DELETE ON folders BEGIN INSERT INTO folders_names(folders_names, rowid, name_key) VALUES ('delete', old.rowid, old.name_key); END;
CREATE TRIGGER folders_names_update AFTER UPDATE OF name_key ON folders BEGIN INSERT INTO folders_names(folders_names, rowid, name_key) VALUES ('delete', old.rowid, old.name_key); INSERT INTO folders_names(rowid, name_key) VALUES (new.rowid, new.name_key); END;
INSERT INTO folders_names(folders_names) VALUES ('rebuild');

-- Full-text search (issue 23): FTS5 indexes over the text of messages and over the subject and tags
-- of conversations. External content: the text is stored once, in its own table; triggers keep each
-- index in the transaction of the write that changes its table. unicode61 folds case and (with
-- remove_diacritics 2) accents, so "Cafe" finds "café".
-- Both tables have TEXT primary keys, so the indexes key on their implicit rowids, which VACUUM may
-- renumber: after a VACUUM, rebuild both (INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')).

CREATE VIRTUAL TABLE messages_fts USING fts5(
    content, content = 'messages', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;

CREATE VIRTUAL TABLE conversations_fts USING fts5(
    subject, tags, content = 'conversations', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_fts (rowid, subject, tags) VALUES (new.rowid, new.subject, new.tags);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, subject, tags) VALUES ('delete', old.rowid, old.subject, old.tags);
END;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF subject, tags ON conversations BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, subject, tags) VALUES ('delete', old.rowid, old.subject, old.tags);
    INSERT INTO conversations_fts (rowid, subject, tags) VALUES (new.rowid, new.subject, new.tags);
END;

-- The rows written before this migration.
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');

-- The full-text indexes leave the path of each write (they were a third of SendMessage's cost on SQLite's
-- single writer). Numbered 0011: 0010 is PostgreSQL's unaccent (SQLite folds accents already).

-- Subjects and tags: every change of a conversation (each message moves its activity) rewrites the whole row,
-- and "UPDATE OF subject, tags" fires on the columns a statement names, not on their values: the index was
-- rewritten for every message. Now only when the subject or the tags change.
DROP TRIGGER conversations_fts_update;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF subject, tags ON conversations
WHEN old.subject IS NOT new.subject OR old.tags IS NOT new.tags BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, subject, tags) VALUES ('delete', old.rowid, old.subject, old.tags);
    INSERT INTO conversations_fts (rowid, subject, tags) VALUES (new.rowid, new.subject, new.tags);
END;

-- Messages: indexed once per group of writes, by the writer, in the group's transaction, just before it
-- commits (SqliteSearchSql.IndexNewMessages), instead of by a trigger per message: each statement that fired
-- the trigger made FTS5 flush what it held into a segment of its own (measured: 105 µs per message with the
-- trigger, 43 µs indexed per group). 'messages_fts_through': every message with a rowid up to it is indexed,
-- every one above it is not yet (it was written in the running group). So an edit or a deletion touches the
-- index only for an indexed message (the group indexes the others as they are when it commits), and a
-- deletion lowers the mark to the highest rowid left, as a new message takes the rowid after that one.
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
INSERT INTO counters (name, value) VALUES ('messages_fts_through', (SELECT COALESCE(MAX(rowid), 0) FROM messages));
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages
WHEN old.rowid <= (SELECT value FROM counters WHERE name = 'messages_fts_through') BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) SELECT 'delete', old.rowid, old.content
        WHERE old.rowid <= (SELECT value FROM counters WHERE name = 'messages_fts_through');
    UPDATE counters SET value = MIN(value, (SELECT COALESCE(MAX(rowid), 0) FROM messages)) WHERE name = 'messages_fts_through';
END;

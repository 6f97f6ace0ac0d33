-- Every change of a conversation (each message moves its activity) rewrites the whole row, subject and tags
-- included, and "UPDATE OF subject, tags" fires on the columns named, not on their values: the index of
-- subjects and tags was rewritten for every message (a fifth of SendMessage's cost on SQLite). Now only when
-- the subject or the tags change. Numbered 0011: 0010 is PostgreSQL's unaccent (SQLite folds accents already).
DROP TRIGGER conversations_fts_update;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF subject, tags ON conversations
WHEN old.subject IS NOT new.subject OR old.tags IS NOT new.tags BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, subject, tags) VALUES ('delete', old.rowid, old.subject, old.tags);
    INSERT INTO conversations_fts (rowid, subject, tags) VALUES (new.rowid, new.subject, new.tags);
END;

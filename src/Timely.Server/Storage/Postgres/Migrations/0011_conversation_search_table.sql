-- The search vector of conversations (subject and tags) moves out of the conversations table into one of
-- its own. As a generated column with a GIN index it cost every change of a conversation, and each message
-- changes one (its activity): PostgreSQL writes a new row version, computes the vector again and indexes the
-- version in every index, GIN included. Triggers now keep the vector in the writing transaction, and only
-- when the subject or the tags change, as the FTS5 triggers do on SQLite. Keyed and scoped by workspace, so
-- the table would be distributed and colocated with conversations on Citus (docs/scaling.md).
CREATE TABLE conversation_search (
    workspace       text     NOT NULL,
    conversation_id text     NOT NULL,
    search          tsvector NOT NULL,
    PRIMARY KEY (workspace, conversation_id)
);
CREATE INDEX ix_conversation_search ON conversation_search USING gin (search);

INSERT INTO conversation_search (workspace, conversation_id, search)
SELECT workspace, id, to_tsvector('timely_search', subject || ' ' || tags) FROM conversations;
DROP INDEX ix_conversations_search;
ALTER TABLE conversations DROP COLUMN search;

CREATE FUNCTION conversation_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM conversation_search WHERE workspace = OLD.workspace AND conversation_id = OLD.id;
    ELSE
        INSERT INTO conversation_search (workspace, conversation_id, search)
        VALUES (NEW.workspace, NEW.id, to_tsvector('timely_search', NEW.subject || ' ' || NEW.tags))
        ON CONFLICT (workspace, conversation_id) DO UPDATE SET search = excluded.search;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER conversation_search_insert AFTER INSERT ON conversations
    FOR EACH ROW EXECUTE FUNCTION conversation_search_write();
CREATE TRIGGER conversation_search_update AFTER UPDATE OF subject, tags ON conversations
    FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.tags IS DISTINCT FROM NEW.tags)
    EXECUTE FUNCTION conversation_search_write();
CREATE TRIGGER conversation_search_delete AFTER DELETE ON conversations
    FOR EACH ROW EXECUTE FUNCTION conversation_search_write();

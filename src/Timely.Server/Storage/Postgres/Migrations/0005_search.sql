-- Full-text search (issue 23): generated tsvector columns (computed, hence backfilled, by PostgreSQL
-- in the write that stores the row) with GIN indexes. The configuration is 'simple' (lower-case,
-- no stemming, no stop words), not 'english': messages are in many languages and hold order
-- numbers, emails and names, and 'simple' finds what the SQLite store's unicode61 tokenizer finds
-- (whole words, prefixes) instead of English stems. Unlike SQLite it keeps accents.

ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED;
CREATE INDEX ix_messages_search ON messages USING gin (search);

ALTER TABLE conversations ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', subject || ' ' || tags)) STORED;
CREATE INDEX ix_conversations_search ON conversations USING gin (search);

-- Search ignores accents on PostgreSQL as on SQLite (its unicode61 tokenizer with remove_diacritics 2):
-- "cafe" finds "café", and "café" finds "cafe". The configuration is the project's own: 'simple' (see 0005)
-- behind the unaccent dictionary (a trusted contrib extension: the database's owner may install it).
-- to_tsvector with a constant configuration is immutable, as a generated column needs.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION timely_search (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION timely_search ALTER MAPPING FOR word, hword, hword_part WITH unaccent, simple;

DROP INDEX ix_messages_search;
ALTER TABLE messages DROP COLUMN search;
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('timely_search', content)) STORED;
CREATE INDEX ix_messages_search ON messages USING gin (search);

DROP INDEX ix_conversations_search;
ALTER TABLE conversations DROP COLUMN search;
ALTER TABLE conversations ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('timely_search', subject || ' ' || tags)) STORED;
CREATE INDEX ix_conversations_search ON conversations USING gin (search);

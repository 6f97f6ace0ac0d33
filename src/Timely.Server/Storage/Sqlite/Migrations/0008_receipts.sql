-- Delivery receipts, read horizons, edits and redactions (issue 21).

-- A message's delivery status (Domain/DeliveryStatus, 0 while nothing was reported) with the time
-- the channel gave for each step, the channel's own id of an outbound message, its latest revision
-- (1: never edited) and its tombstone (redacted_at set; redacted_by: the API key's id).
ALTER TABLE messages ADD COLUMN delivery_status INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN sent_at INTEGER NULL;
ALTER TABLE messages ADD COLUMN delivered_at INTEGER NULL;
ALTER TABLE messages ADD COLUMN read_at INTEGER NULL;
ALTER TABLE messages ADD COLUMN failed_at INTEGER NULL;
ALTER TABLE messages ADD COLUMN delivery_error TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN external_id TEXT NULL;
ALTER TABLE messages ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
ALTER TABLE messages ADD COLUMN edited_at INTEGER NULL;
ALTER TABLE messages ADD COLUMN redacted_at INTEGER NULL;
ALTER TABLE messages ADD COLUMN redacted_by TEXT NULL;
CREATE UNIQUE INDEX ux_messages_external_id ON messages (conversation_id, external_id) WHERE external_id IS NOT NULL;

-- Every revision of an edited message (the first edit also stores revision 1, the original), keyed
-- by message id so that erasing a message or a conversation deletes them. A redaction empties content.
CREATE TABLE message_revisions (
    message_id      TEXT    NOT NULL,
    revision        INTEGER NOT NULL,
    workspace       TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    content         TEXT    NOT NULL,
    editor_type     INTEGER NOT NULL,
    editor_id       TEXT    NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (message_id, revision)
);
CREATE INDEX ix_message_revisions_conversation ON message_revisions (workspace, conversation_id);

-- Read horizons: one row per participant who marked something read (participant_type: 1 contact,
-- 2 AI agent, 3 human agent). The conversation row also carries them as JSON (read_horizons), for
-- display; this table is what unread filters join.
CREATE TABLE read_horizons (
    conversation_id  TEXT    NOT NULL,
    participant_type INTEGER NOT NULL,
    participant_id   TEXT    NOT NULL,
    workspace        TEXT    NOT NULL,
    read_sequence    INTEGER NOT NULL,
    read_at          INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, participant_type, participant_id)
);
ALTER TABLE conversations ADD COLUMN read_horizons TEXT NOT NULL DEFAULT '[]';

-- What an event of the new types adds (JSON: the reported status, the revision, the horizon); never
-- message text, so scrubbing a message does not need to rewrite it.
ALTER TABLE events ADD COLUMN details TEXT NULL;

-- Redactions must leave no trace in the file: full-text indexes drop a deleted entry's terms at
-- once (FTS5 secure-delete) instead of at a later merge.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO conversations_fts (conversations_fts, rank) VALUES ('secure-delete', 1);

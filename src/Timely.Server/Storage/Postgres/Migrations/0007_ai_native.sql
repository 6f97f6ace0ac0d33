-- Issue 17. Internal notes: a message's visibility (1 public, 2 internal).
ALTER TABLE messages ADD COLUMN visibility bigint NOT NULL DEFAULT 1;
-- Handoff context of the latest handoff (reason, priority, summary, when); null if never handed off.
ALTER TABLE conversations ADD COLUMN handoff_reason bigint NULL;
ALTER TABLE conversations ADD COLUMN handoff_priority bigint NULL;
ALTER TABLE conversations ADD COLUMN handoff_summary text NULL;
ALTER TABLE conversations ADD COLUMN handoff_at bigint NULL;
CREATE INDEX ix_conversations_priority ON conversations (workspace, handoff_priority, activity_at, id) WHERE handoff_priority IS NOT NULL;
-- A key for a customer-facing view reads only public messages, whatever it asks.
ALTER TABLE api_keys ADD COLUMN public_only boolean NOT NULL DEFAULT false;

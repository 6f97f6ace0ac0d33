-- A key may be bound to one human agent: it then writes and takes over conversations only as that agent.
ALTER TABLE api_keys ADD COLUMN agent_id TEXT NULL;

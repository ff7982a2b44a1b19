-- The schema callscope's first release made with create_all (postgresql), before there were migrations.
-- Generated from that release's service/db.py (commit e31037b) with SQLAlchemy's DDL compiler;
-- tests/test_migrations.py builds a database from it and upgrades it to the newest revision.

CREATE TABLE api_keys (
	id SERIAL NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	key_hash VARCHAR(64) NOT NULL, 
	prefix VARCHAR(12) NOT NULL, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	revoked BOOLEAN NOT NULL, 
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_api_keys_key_hash ON api_keys (key_hash);
CREATE TABLE metrics (
	name VARCHAR(64) NOT NULL, 
	labels VARCHAR(200) NOT NULL, 
	value FLOAT NOT NULL, 
	PRIMARY KEY (name, labels)
);
CREATE TABLE calls (
	id VARCHAR(32) NOT NULL, 
	key_id INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	stage VARCHAR(32), 
	progress FLOAT NOT NULL, 
	error_code VARCHAR(64), 
	error TEXT, 
	external_id VARCHAR(200), 
	idempotency_key VARCHAR(200), 
	agent_id VARCHAR(200), 
	agent_channel VARCHAR(8), 
	language VARCHAR(16), 
	callback_url TEXT, 
	filename VARCHAR(255) NOT NULL, 
	audio_key VARCHAR(64), 
	size_bytes INTEGER NOT NULL, 
	duration_s FLOAT, 
	attempts INTEGER NOT NULL, 
	worker VARCHAR(128), 
	callback_status VARCHAR(16), 
	callback_attempts INTEGER NOT NULL, 
	callback_error TEXT, 
	created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	started_at TIMESTAMP WITH TIME ZONE, 
	finished_at TIMESTAMP WITH TIME ZONE, 
	report JSON, 
	verdict_listened VARCHAR(16), 
	verdict_calm VARCHAR(16), 
	verdict_acknowledged VARCHAR(16), 
	PRIMARY KEY (id), 
	CONSTRAINT uq_calls_key_external_id UNIQUE (key_id, external_id), 
	CONSTRAINT uq_calls_key_idempotency UNIQUE (key_id, idempotency_key), 
	FOREIGN KEY(key_id) REFERENCES api_keys (id)
);
CREATE INDEX ix_calls_agent_id ON calls (agent_id);
CREATE INDEX ix_calls_created_at ON calls (created_at);
CREATE INDEX ix_calls_key_id ON calls (key_id);
CREATE INDEX ix_calls_status ON calls (status);

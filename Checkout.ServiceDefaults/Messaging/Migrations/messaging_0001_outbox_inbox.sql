-- The transactional outbox and the consumers' inbox of Checkout.ServiceDefaults.Messaging, in schema "messaging"
-- of the service's own database.
CREATE SCHEMA IF NOT EXISTS messaging;

CREATE TABLE messaging.outbox (
    sequence     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id   uuid        NOT NULL UNIQUE,
    topic        text        NOT NULL,
    message_key  text        NOT NULL,
    envelope     bytea       NOT NULL,
    traceparent  text        NULL,
    tracestate   text        NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text        NULL
);
-- Unsent rows in write order and per key (the dispatcher's claim query); sent rows by age (retention clean-up).
CREATE INDEX outbox_unsent ON messaging.outbox (sequence) WHERE sent_at IS NULL;
CREATE INDEX outbox_unsent_key ON messaging.outbox (message_key, sequence) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_at ON messaging.outbox (sent_at) WHERE sent_at IS NOT NULL;

CREATE TABLE messaging.inbox (
    message_id   uuid        PRIMARY KEY,
    handled_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_handled_at ON messaging.inbox (handled_at);

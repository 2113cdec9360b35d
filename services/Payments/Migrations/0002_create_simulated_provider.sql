-- The simulated payment provider's own ledger: an external system's state, written in its own transactions.
CREATE SCHEMA IF NOT EXISTS simulated_provider;

CREATE TABLE IF NOT EXISTS simulated_provider.charges (
    idempotency_key text        PRIMARY KEY,
    outcome         text        NOT NULL CHECK (outcome IN ('captured', 'declined')),
    reference       text        NOT NULL,
    amount_minor    bigint      NOT NULL,
    currency        text        NOT NULL,
    refunded_minor  bigint      NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Calls per idempotency key, so that "tok_flaky" fails the first two of each order.
CREATE TABLE IF NOT EXISTS simulated_provider.calls (
    idempotency_key text    PRIMARY KEY,
    calls           integer NOT NULL
);

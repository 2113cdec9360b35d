-- One payment per order: what Payments has heard of it so far, and what it charged.
CREATE TABLE IF NOT EXISTS payments (
    order_id           uuid        PRIMARY KEY,
    -- 1 pending, 2 captured, 3 failed, 4 refunded, 5 voided
    status             smallint    NOT NULL DEFAULT 1 CHECK (status BETWEEN 1 AND 5),
    -- The join: the charge waits for both OrderPlaced (amount, token) and InventoryReserved, in either order.
    order_placed       boolean     NOT NULL DEFAULT false,
    stock_reserved     boolean     NOT NULL DEFAULT false,
    amount_minor       bigint      NOT NULL DEFAULT 0 CHECK (amount_minor >= 0),
    currency           text        NOT NULL DEFAULT '',
    -- Kept only until the charge is decided.
    payment_token      text,
    attempts           integer     NOT NULL DEFAULT 0,
    provider_reference text,
    failure_reason     text,
    refunded_minor     bigint      NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

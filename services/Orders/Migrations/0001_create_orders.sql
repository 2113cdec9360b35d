-- Orders, their priced lines, the saga timeline, and the idempotency keys of PlaceOrder.
CREATE TABLE IF NOT EXISTS orders (
    order_id            uuid        PRIMARY KEY,  -- UUIDv7: ordering by id is ordering by creation time
    customer_id         text        NOT NULL,
    status              smallint    NOT NULL CHECK (status IN (1, 2, 3)),  -- 1 pending, 2 confirmed, 3 cancelled
    total_minor         bigint      NOT NULL CHECK (total_minor >= 0),
    currency            text        NOT NULL,
    cancellation_reason text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- ListOrders: one customer's orders, newest first, keyset-paged by id.
CREATE INDEX IF NOT EXISTS orders_by_customer ON orders (customer_id, order_id DESC);
-- The timeout sweep reads only pending orders, oldest first.
CREATE INDEX IF NOT EXISTS orders_pending_by_age ON orders (created_at) WHERE status = 1;

CREATE TABLE IF NOT EXISTS order_lines (
    order_id         uuid     NOT NULL REFERENCES orders (order_id),
    line_number      smallint NOT NULL,
    sku              text     NOT NULL,
    name             text     NOT NULL,
    quantity         integer  NOT NULL CHECK (quantity > 0),
    unit_price_minor bigint   NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (order_id, line_number)
);

CREATE TABLE IF NOT EXISTS order_timeline (
    order_id uuid        NOT NULL REFERENCES orders (order_id),
    entry    bigint      GENERATED ALWAYS AS IDENTITY,
    step     text        NOT NULL,
    detail   text        NOT NULL,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (order_id, entry)
);

-- One row per (customer, key): the order it created and a hash of the request that created it.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    customer_id     text        NOT NULL,
    idempotency_key text        NOT NULL,
    request_hash    bytea       NOT NULL,
    order_id        uuid        NOT NULL REFERENCES orders (order_id) DEFERRABLE INITIALLY DEFERRED,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, idempotency_key)
);

-- Stock per SKU. Every unit ever added is in exactly one bucket (available, reserved or sold): the database itself
-- refuses a change that would oversell (a negative bucket) or lose a unit (an unbalanced row).
CREATE TABLE stock (
    sku         text COLLATE "C" PRIMARY KEY CHECK (sku ~ '^[A-Z0-9-]{1,32}$'),
    available   bigint      NOT NULL CHECK (available >= 0),
    reserved    bigint      NOT NULL CHECK (reserved >= 0),
    sold        bigint      NOT NULL CHECK (sold >= 0),
    total_added bigint      NOT NULL CHECK (total_added >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stock_balanced CHECK (available + reserved + sold = total_added)
);

-- What Inventory did for each order it has seen: one row per order makes OrderPlaced idempotent even when the same
-- order is announced by two different messages, and tells OrderCancelled whether to release or to return stock.
--   reserved -> released (cancelled) | sold (confirmed) -> returned (cancelled after confirmation)
--   rejected: nothing was reserved; released with no lines: cancelled before Inventory saw the order placed.
CREATE TABLE reservations (
    order_id   uuid        PRIMARY KEY,
    status     text        NOT NULL CHECK (status IN ('reserved', 'rejected', 'released', 'sold', 'returned')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reservation_lines (
    order_id uuid             NOT NULL REFERENCES reservations (order_id),
    sku      text COLLATE "C" NOT NULL REFERENCES stock (sku),
    quantity integer          NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, sku)
);

-- The catalogue. SKUs sort in byte order (COLLATE "C"), the order of ListProducts' keyset pages.
CREATE TABLE products (
    sku              text COLLATE "C" PRIMARY KEY CHECK (sku ~ '^[A-Z0-9-]{1,32}$'),
    name             text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description      text        NOT NULL CHECK (length(description) <= 2000),
    unit_price_minor bigint      NOT NULL CHECK (unit_price_minor > 0),
    currency         char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

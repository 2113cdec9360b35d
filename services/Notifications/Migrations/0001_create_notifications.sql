-- The messages customers were sent (simulated e-mail). One per order and kind: a redelivered or repeated event
-- finds its row and sends nothing again. "sequence" orders them as they were sent (newest first = highest),
-- also between two notifications of one transaction; sent_at is the clock time of each send.
CREATE TABLE notifications (
    notification_id uuid        PRIMARY KEY,
    sequence        bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    customer_id     text        NOT NULL,
    order_id        uuid        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('order-confirmed', 'order-cancelled')),
    subject         text        NOT NULL,
    body            text        NOT NULL,
    sent_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT notifications_once_per_order_and_kind UNIQUE (order_id, kind)
);
-- ListNotifications: one customer's, newest first, keyset-paged on sequence.
CREATE INDEX notifications_by_customer ON notifications (customer_id, sequence DESC);

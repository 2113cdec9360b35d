-- The outbox is a queue: each row is inserted, marked sent a few milliseconds later and deleted after the retention.
-- Every row marked sent leaves a dead version in the unsent-row indexes, which the dispatcher's claim query steps over
-- until vacuum removes it; by default autovacuum waits for a fifth of the table to change, by which time a busy
-- service's claim reads thousands of dead rows each round. Vacuum after a fixed number of changes instead.
ALTER TABLE messaging.outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);

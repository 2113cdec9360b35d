-- Opening stock of the demo catalogue (Catalog's SKU-1001..SKU-1012): 1,000 units each, counted as added.
INSERT INTO stock (sku, available, reserved, sold, total_added)
SELECT 'SKU-' || n, 1000, 0, 0, 1000
FROM generate_series(1001, 1012) AS n
ON CONFLICT (sku) DO NOTHING;

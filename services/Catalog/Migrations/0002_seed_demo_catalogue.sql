-- The demo catalogue (EUR, prices in cents). Inventory seeds stock for the same SKUs.
INSERT INTO products (sku, name, description, unit_price_minor, currency) VALUES
    ('SKU-1001', 'Trailhead 30L Daypack', 'Water-resistant 30-litre daypack with a padded laptop sleeve and ventilated back panel.', 7990, 'EUR'),
    ('SKU-1002', 'Summit Insulated Bottle 750 ml', 'Double-walled stainless steel bottle that keeps drinks cold for 24 hours or hot for 12.', 2990, 'EUR'),
    ('SKU-1003', 'Ridgeline Trekking Poles (pair)', 'Collapsible aluminium poles with cork grips and quick-lock length adjustment.', 5990, 'EUR'),
    ('SKU-1004', 'Aurora Headlamp 400', 'Rechargeable 400-lumen headlamp with red night mode and IPX4 splash resistance.', 3490, 'EUR'),
    ('SKU-1005', 'Merino Crew Socks (3 pairs)', 'Cushioned merino wool hiking socks that stay warm when wet and resist odour.', 2490, 'EUR'),
    ('SKU-1006', 'Cirrus Ultralight Rain Jacket', 'Packable 2.5-layer waterproof shell with taped seams and an adjustable hood.', 14990, 'EUR'),
    ('SKU-1007', 'Basecamp 2 Tent', 'Freestanding two-person tent with two doors, two vestibules and a 2.1 kg trail weight.', 27900, 'EUR'),
    ('SKU-1008', 'Nimbus -5 Sleeping Bag', 'Mummy sleeping bag rated to -5 °C with synthetic fill and a full-length two-way zip.', 12900, 'EUR'),
    ('SKU-1009', 'Pocket Stove Kit', 'Compact canister stove with piezo ignition, 1-litre pot and foldable spork.', 4490, 'EUR'),
    ('SKU-1010', 'Polar Fleece Midlayer', 'Recycled 200-weight fleece with a half zip and thumb loops.', 6490, 'EUR'),
    ('SKU-1011', 'Compass Pro Baseplate', 'Sighting compass with declination adjustment, clinometer and a luminous bezel.', 3990, 'EUR'),
    ('SKU-1012', 'First Aid Kit Trek', 'Lightweight first aid kit for two people over three days, in a waterproof pouch.', 2790, 'EUR')
ON CONFLICT (sku) DO NOTHING;

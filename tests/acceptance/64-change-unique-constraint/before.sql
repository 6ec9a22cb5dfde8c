CREATE TABLE items (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), organization_id uuid NOT NULL REFERENCES organizations(id), sku text NOT NULL, CONSTRAINT items_sku_key UNIQUE (sku));
INSERT INTO items (organization_id, sku) SELECT '00000000-0000-0000-0000-00000000000a', 'sku-' || g FROM generate_series(1, 1000) g;

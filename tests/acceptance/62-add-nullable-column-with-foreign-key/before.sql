CREATE TABLE items (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), organization_id uuid NOT NULL REFERENCES organizations(id), name text NOT NULL, qty integer NOT NULL DEFAULT 0);
INSERT INTO items (organization_id, name, qty) SELECT CASE WHEN g % 2 = 0 THEN '00000000-0000-0000-0000-00000000000a'::uuid ELSE '00000000-0000-0000-0000-00000000000b'::uuid END, 'item ' || g, g FROM generate_series(1, 1000) g;
CREATE TABLE suppliers (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);

CREATE TABLE items (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), organization_id uuid NOT NULL REFERENCES organizations(id), name text NOT NULL, qty integer NOT NULL DEFAULT 0);
INSERT INTO items (organization_id, name, qty) SELECT CASE WHEN g % 2 = 0 THEN '00000000-0000-0000-0000-00000000000a'::uuid ELSE '00000000-0000-0000-0000-00000000000b'::uuid END, 'item ' || g, g FROM generate_series(1, 1000) g;
CREATE TABLE people (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), organization_id uuid NOT NULL REFERENCES organizations(id), created_by uuid);
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view their org's items" ON items FOR SELECT USING (organization_id IN (SELECT organization_id FROM people WHERE created_by = auth.uid() LIMIT 1));
CREATE POLICY "Service role can do anything" ON items TO service_role USING (true) WITH CHECK (true);

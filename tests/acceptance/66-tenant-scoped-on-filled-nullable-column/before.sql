-- The way to switch tenant_scoped on for a table that had no tenancy column:
-- the team added organization_id as a nullable column and filled it with its
-- own UPDATE (only it knows which organization each row belongs to). The plan
-- does the rest online: foreign key NOT VALID then VALIDATE, NOT NULL through
-- a validated check, the tenant index concurrently, then policies and RLS.
CREATE TABLE notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), body text NOT NULL, organization_id uuid);
INSERT INTO notes (body, organization_id) SELECT 'note ' || g, CASE WHEN g % 2 = 0 THEN '00000000-0000-0000-0000-00000000000a'::uuid ELSE '00000000-0000-0000-0000-00000000000b'::uuid END FROM generate_series(1, 1000) g;

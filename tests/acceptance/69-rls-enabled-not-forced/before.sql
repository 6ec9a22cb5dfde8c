-- Row level security as Supabase's schemas have it: enabled, not forced.
CREATE TABLE notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), organization_id uuid NOT NULL REFERENCES organizations(id), body text NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON notes FOR SELECT TO authenticated USING (organization_id = ((select auth.jwt()) ->> 'organization_id')::uuid);
GRANT SELECT ON notes TO authenticated;
INSERT INTO notes (organization_id, body) SELECT '00000000-0000-0000-0000-00000000000a', 'note ' || g FROM generate_series(1, 100) g;

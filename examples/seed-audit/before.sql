-- The database as the seed audit (shared/seed/migration-best-practices-audit.md,
-- "Current State") found it, reproduced on plain PostgreSQL: Supabase's roles and
-- auth functions, the six tables with organization_id, RLS enabled with policies
-- that check ownership instead of tenancy, a service-role policy that allows
-- anything, indexes built without CONCURRENTLY (one with the wrong column order),
-- timestamps without defaults, updated_at that nothing updates, no soft delete,
-- no audit trail, no CHECK constraints. And rows in every table.

DO $$ BEGIN CREATE ROLE anon NOLOGIN NOINHERIT; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE authenticated NOLOGIN NOINHERIT; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;

CREATE SCHEMA IF NOT EXISTS auth;
CREATE OR REPLACE FUNCTION auth.uid()
 RETURNS uuid
 LANGUAGE sql
 STABLE
AS $function$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$function$;
CREATE OR REPLACE FUNCTION auth.jwt()
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
  select coalesce(
      nullif(current_setting('request.jwt.claim', true), ''),
      nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$function$;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;

CREATE TABLE IF NOT EXISTS organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  slug text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS people (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  email text NOT NULL,
  full_name text,
  created_by uuid,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (organization_id, email)
);
CREATE TABLE IF NOT EXISTS api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  key_hash text NOT NULL,
  revoked boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  updated_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS webhooks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  url text NOT NULL,
  events text[] NOT NULL,
  secret text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  updated_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS automation_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  trigger_event text NOT NULL,
  conditions jsonb NOT NULL DEFAULT '{}',
  actions jsonb NOT NULL DEFAULT '[]',
  enabled boolean NOT NULL DEFAULT true,
  webhook_id uuid REFERENCES webhooks(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  updated_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  channel text NOT NULL,
  recipient text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  send_after timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  created_at timestamptz NOT NULL,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  updated_at timestamptz NOT NULL
);

-- Indexes built the way the audit found them: locking, and in the wrong column order.
CREATE INDEX idx_api_keys_org ON api_keys (organization_id);
CREATE INDEX idx_api_keys_active ON api_keys (organization_id, revoked);
CREATE INDEX idx_webhooks_org ON webhooks (organization_id);
CREATE INDEX idx_people_org ON people (organization_id);

-- Row level security that checks ownership, not tenancy.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE people ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE automation_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can view their org's API keys" ON api_keys FOR SELECT
  USING (organization_id IN (SELECT organization_id FROM people WHERE created_by = auth.uid() LIMIT 1));
CREATE POLICY "Users can view their org's webhooks" ON webhooks FOR SELECT
  USING (organization_id IN (SELECT organization_id FROM people WHERE created_by = auth.uid() LIMIT 1));
CREATE POLICY "Users can view their org's rules" ON automation_rules FOR SELECT
  USING (organization_id IN (SELECT organization_id FROM people WHERE created_by = auth.uid() LIMIT 1));
CREATE POLICY "Users can view people" ON people FOR SELECT USING (created_by = auth.uid());
CREATE POLICY "Service role can insert organizations" ON organizations FOR INSERT TO service_role WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO authenticated, service_role;

-- Rows in every table.
INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Acme', 'acme', now(), now()),
  ('00000000-0000-0000-0000-00000000000b', 'Globex', 'globex', now(), now());
INSERT INTO people (organization_id, email, created_at, updated_at)
  SELECT o.id, 'user' || g || '@' || o.slug || '.test', now(), now()
  FROM organizations o, generate_series(1, 50) g;
INSERT INTO api_keys (organization_id, name, key_hash, revoked, created_at, updated_at)
  SELECT o.id, 'key ' || g, md5(o.slug || g), g % 10 = 0, now() - g * interval '1 day', now()
  FROM organizations o, generate_series(1, 200) g;
INSERT INTO webhooks (organization_id, url, events, secret, enabled, created_at, updated_at)
  SELECT o.id, 'https://' || o.slug || '.test/hook/' || g, ARRAY['key.created'], md5(g::text), g % 3 > 0, now(), now()
  FROM organizations o, generate_series(1, 20) g;
INSERT INTO automation_rules (organization_id, name, trigger_event, created_at, updated_at)
  SELECT o.id, 'rule ' || g, 'key.created', now(), now()
  FROM organizations o, generate_series(1, 20) g;
INSERT INTO outbox (organization_id, channel, recipient, created_at, updated_at)
  SELECT o.id, 'email', 'ops@' || o.slug || '.test', now(), now()
  FROM organizations o, generate_series(1, 100) g;

#!/usr/bin/env bash
# The quick start: a new project from `schemac init`, planned and applied
# against the database the PG* variables name (pg_virtualenv sets them), a
# second plan that is empty, then the result called the way an API calls it:
# as the authenticated role with request.jwt.claims set. Fails if a tenant
# sees another's rows.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
schemac=${SCHEMAC:-$repo/build/schemac}
project=$(mktemp -d)
trap 'rm -rf "$project"' EXIT
cd "$project"

echo "== schemac init (in $project)"
$schemac init
echo
echo "== schemac plan (an empty database)"
$schemac plan
echo
echo "== schemac apply --auto-approve"
$schemac apply --auto-approve --quiet
echo
echo "== schemac plan --detailed-exitcode (exit 0: nothing left to do)"
$schemac plan --detailed-exitcode
echo
echo "== the example table through the API's role"
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Acme'),
  ('00000000-0000-0000-0000-00000000000b', 'Globex');
INSERT INTO projects (organization_id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'rocket'),
  ('00000000-0000-0000-0000-00000000000b', 'portal');
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims',
  '{"sub":"11111111-1111-1111-1111-111111111111","organization_id":"00000000-0000-0000-0000-00000000000a"}', true) \g /dev/null
\echo 'Acme sees its projects only (tenant_scoped):'
SELECT name, organization_id FROM projects;
DO $$ BEGIN
  IF (SELECT count(*) FROM projects) <> 1 THEN RAISE EXCEPTION 'a tenant sees another tenant''s rows'; END IF;
END $$;
\echo 'Acme renames it (touch_updated_at keeps updated_at):'
UPDATE projects SET name = 'rocket 2' RETURNING name, updated_at > created_at AS updated_at_moved;
\echo 'Acme deletes it (soft_delete: the row stays, hidden):'
DELETE FROM projects WHERE name = 'rocket 2';
SELECT count(*) AS visible_projects FROM projects;
\echo 'Acme reads its own history (audited, tenant_readable):'
SELECT action, table_name FROM audit_trail ORDER BY changed_at, action DESC;
COMMIT;
\echo 'Behind RLS, the row is still there:'
SELECT name, deleted_at IS NOT NULL AS deleted FROM projects ORDER BY name;
SQL

#!/usr/bin/env bash
# Plan and apply examples/saas against the database the PG* variables name
# (pg_virtualenv sets them), show that a second plan is empty, then call the
# result the way an API would.
set -euo pipefail
cd "$(dirname "$0")/../.."
schemac=${SCHEMAC:-build/schemac}
schema=examples/saas/schema

echo "== schemac plan (an empty database)"
$schemac plan --schema $schema
echo
echo "== schemac apply --auto-approve"
$schemac apply --schema $schema --auto-approve --quiet
echo
echo "== schemac plan --detailed-exitcode (exit 0: nothing left to do)"
$schemac plan --schema $schema --detailed-exitcode
echo
echo "== a tenant, through row level security"
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO organizations (id, name, slug) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Acme', 'acme'),
  ('00000000-0000-0000-0000-00000000000b', 'Globex', 'globex');
INSERT INTO api_keys (organization_id, name, key_hash) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'ci', 'h1'),
  ('00000000-0000-0000-0000-00000000000b', 'deploy', 'h2');
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims',
  '{"sub":"11111111-1111-1111-1111-111111111111","organization_id":"00000000-0000-0000-0000-00000000000a"}', true) \g /dev/null
\echo 'Acme sees its keys only:'
SELECT name, organization_id FROM api_keys;
\echo 'Acme deletes its key (soft delete: the row stays, hidden):'
DELETE FROM api_keys WHERE name = 'ci';
SELECT count(*) AS visible_keys FROM api_keys;
COMMIT;
\echo 'Behind RLS, the row is still there, and the audit trail recorded who did what:'
SELECT name, deleted_at IS NOT NULL AS deleted FROM api_keys ORDER BY name;
SELECT action, table_name, changed_by FROM audit_trail WHERE table_name = 'api_keys' ORDER BY changed_at, action DESC;
SQL

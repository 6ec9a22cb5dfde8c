#!/usr/bin/env bash
# examples/ci/schemac-ci.sh as the CI jobs run it, against a throw-away
# database on the server the PG* variables name; GitHub's and GitLab's comment
# APIs stubbed at the HTTP boundary (tests/ci/forge_stub.py), nothing else.
#   ci_script_test.sh SCHEMAC_BIN SOURCE_DIR
set -euo pipefail
schemac=$1 src=$2
script=$src/examples/ci/schemac-ci.sh
work=$(mktemp -d)
db=schemac_ci_$$
stub_pid=
cleanup() {
  [ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null || true
  dropdb --if-exists "$db" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
createdb "$db"
mkdir -p "$work/stub"
python3 "$src/tests/ci/forge_stub.py" "$work/stub" &
stub_pid=$!
for _ in $(seq 100); do [ -f "$work/stub/port" ] && break; sleep 0.1; done
api=http://127.0.0.1:$(cat "$work/stub/port")
cp -r "$src/examples/saas/schema" "$work/schema"
cd "$work"
export SCHEMAC=$schemac SCHEMA_DIR=$work/schema DATABASE_URL="dbname=$db" SCHEMAC_PLAN_KEY=reviewed-key
comments() { jq -r "$1" "$work/stub/comments.json"; }
# grep -q stops reading at the first match: read the text whole first (pipefail would see jq's SIGPIPE).
contains() { grep -q -- "$2" <<<"$1"; }
github() {
  GITHUB_TOKEN=${TOKEN:-test-token} GITHUB_REPOSITORY=acme/app PR_NUMBER=7 GITHUB_API_URL=$api "$script" "$@"
}

echo "--- a pull request: the plan is posted as one comment, the plan saved and signed"
github plan
[ "$(comments length)" = 1 ] || fail "one comment expected"
[ "$(comments '.[0].thread')" = 7 ] || fail "the comment is on pull request 7"
body=$(comments '.[0].body')
[ "$(head -1 <<<"$body")" = '<!-- schemac-plan -->' ] || fail "the comment starts with the marker"
contains "$body" '^\*\*Plan: [0-9]* steps on 8 tables, no hazard that blocks apply\.\*\*$' ||
  fail "the comment carries the plan's summary"
contains "$body" '^| `public.api_keys` | ' || fail "the comment has the table of tables"
[ "$(comments '.[0].body' | wc -c)" -le 65536 ] || fail "the comment fits GitHub's limit"
jq -e '.signature' schemac-plan.json >/dev/null || fail "the saved plan is signed (SCHEMAC_PLAN_KEY)"

echo "--- another push: the same comment is updated, no second one"
github plan
[ "$(comments length)" = 1 ] || fail "still one comment"
grep -qx 'PATCH /repos/acme/app/issues/comments/101 auth-ok' stub/requests || fail "the comment was updated in place"

echo "--- the deploy job: a plan signed with another key is refused, and nothing runs"
if SCHEMAC_PLAN_KEY=another-key "$script" apply >apply.log 2>&1; then fail "a plan signed with another key applied"; fi
grep -q 'signed with another key\|signature' apply.log || { cat apply.log; fail "the refusal names the signature"; }
[ "$(psql -d "$db" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ] ||
  fail "the refused plan created tables"

echo "--- the deploy job applies the reviewed plan, with one JSON event per line"
"$script" apply >apply.log 2>apply.err || { cat apply.log apply.err; fail "apply of the reviewed plan failed"; }
jq -e -s 'all(.[]; has("event")) and (.[-1].event == "applied")' apply.log >/dev/null ||
  { cat apply.log; fail "apply prints JSON events, the last one 'applied'"; }
[ "$(psql -d "$db" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 8 ] ||
  fail "the 8 tables exist after apply"

echo "--- the next pull request plans nothing, and says so in the same comment"
github plan
[ "$(comments length)" = 1 ] || fail "still one comment"
contains "$(comments '.[0].body')" '^\*\*No changes: the database matches the declarations\.\*\*$' ||
  fail "the updated comment says no changes"

echo "--- a saved plan is gone: apply refuses to plan on its own"
rm schemac-plan.json
if "$script" apply >apply.log 2>&1; then fail "apply without the reviewed plan succeeded"; fi
grep -q 'no saved plan at schemac-plan.json' apply.log || fail "the refusal says why"

echo "--- a token the forge refuses fails the job (no silent pass)"
if TOKEN=wrong github plan >plan.log 2>&1; then fail "a refused token passed"; fi

echo "--- GitLab: a merge request note, posted then updated"
gitlab() {
  GITLAB_TOKEN=test-token CI_PROJECT_ID=42 CI_MERGE_REQUEST_IID=9 CI_API_V4_URL=$api "$script" plan
}
echo '# a change under review' >>"$work/schema/webhooks.toml"
gitlab
gitlab
[ "$(comments '[.[] | select(.thread == "9")] | length')" = 1 ] || fail "one note on merge request 9"
grep -qx 'PUT /projects/42/merge_requests/9/notes/102 auth-ok' stub/requests || fail "the note was updated in place"

echo "--- the workflows call this script"
grep -q 'ci/schemac-ci.sh plan' "$src/examples/ci/github-actions.yml" || fail "GitHub workflow plans with the script"
grep -q 'ci/schemac-ci.sh apply' "$src/examples/ci/github-actions.yml" || fail "GitHub workflow applies with the script"
grep -q 'ci/schemac-ci.sh plan' "$src/examples/ci/gitlab-ci.yml" || fail "GitLab CI plans with the script"
grep -q 'ci/schemac-ci.sh apply' "$src/examples/ci/gitlab-ci.yml" || fail "GitLab CI applies with the script"
python3 -c 'import sys, yaml; [yaml.safe_load(open(f)) for f in sys.argv[1:]]' \
  "$src/examples/ci/github-actions.yml" "$src/examples/ci/gitlab-ci.yml" || fail "the workflows are valid YAML"
echo "ok"

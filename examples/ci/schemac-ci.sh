#!/usr/bin/env bash
# What the CI jobs run, in one script the GitHub and GitLab workflows call
# (tests/ci/ci_script_test.sh runs it against a throw-away database).
#
#   schemac-ci.sh plan    pull request: plan against the database, save the plan
#                         ($PLAN_FILE, the job's artifact; signed when SCHEMAC_PLAN_KEY
#                         is set), post it as one comment, updated on every push
#   schemac-ci.sh apply   main branch: apply the saved plan from the review, exactly,
#                         if the database is still the one it was made for
#
# Settings (environment):
#   DATABASE_URL       the database (or the PG* variables)
#   SCHEMA_DIR         the declarations (default: schema)
#   PLAN_FILE          the saved plan (default: schemac-plan.json); COMMENT_FILE its markdown
#   SCHEMAC            the binary (default: schemac)
#   SCHEMAC_PLAN_KEY   a secret shared by both jobs: plans are signed and checked
#   ALLOW_HAZARDS      apply: space-separated hazard codes the reviewers accepted
# Where the comment goes (none set: the comment is only written to COMMENT_FILE):
#   GitHub: GITHUB_TOKEN, GITHUB_REPOSITORY, PR_NUMBER, GITHUB_API_URL (set by Actions)
#   GitLab: GITLAB_TOKEN, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, CI_API_V4_URL (set by GitLab CI)
set -euo pipefail

SCHEMAC=${SCHEMAC:-schemac}
SCHEMA_DIR=${SCHEMA_DIR:-schema}
PLAN_FILE=${PLAN_FILE:-schemac-plan.json}
COMMENT_FILE=${COMMENT_FILE:-schemac-plan.md}
# The marker that finds this job's own comment again, to update it instead of adding one.
MARKER='<!-- schemac-plan -->'

die() {
  echo "schemac-ci: $*" >&2
  exit 1
}

db_args=()
[ -n "${DATABASE_URL:-}" ] && db_args=(--database-url "$DATABASE_URL")

# One comment per pull request: the one carrying the marker is updated.
post_github() {
  local api=${GITHUB_API_URL:-https://api.github.com} auth="Authorization: Bearer $GITHUB_TOKEN"
  local comments="$api/repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments"
  local body id
  body=$(jq -Rs '{body: .}' <"$COMMENT_FILE")
  id=$(curl -fsS -H "$auth" -H 'Accept: application/vnd.github+json' "$comments?per_page=100" |
    jq -r --arg m "$MARKER" '[.[] | select(.body | startswith($m))][0].id // empty')
  if [ -n "$id" ]; then
    curl -fsS -o /dev/null -X PATCH -H "$auth" -H 'Content-Type: application/json' \
      "$api/repos/$GITHUB_REPOSITORY/issues/comments/$id" --data "$body"
    echo "schemac-ci: updated comment $id on pull request #$PR_NUMBER"
  else
    curl -fsS -o /dev/null -X POST -H "$auth" -H 'Content-Type: application/json' "$comments" --data "$body"
    echo "schemac-ci: commented on pull request #$PR_NUMBER"
  fi
}

post_gitlab() {
  local api=$CI_API_V4_URL auth="PRIVATE-TOKEN: $GITLAB_TOKEN"
  local notes="$api/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"
  local body id
  body=$(jq -Rs '{body: .}' <"$COMMENT_FILE")
  id=$(curl -fsS -H "$auth" "$notes?per_page=100" |
    jq -r --arg m "$MARKER" '[.[] | select(.body | startswith($m))][0].id // empty')
  if [ -n "$id" ]; then
    curl -fsS -o /dev/null -X PUT -H "$auth" -H 'Content-Type: application/json' "$notes/$id" --data "$body"
    echo "schemac-ci: updated note $id on merge request !$CI_MERGE_REQUEST_IID"
  else
    curl -fsS -o /dev/null -X POST -H "$auth" -H 'Content-Type: application/json' "$notes" --data "$body"
    echo "schemac-ci: commented on merge request !$CI_MERGE_REQUEST_IID"
  fi
}

plan() {
  local code=0 md
  # 0: no changes, 2: changes; anything else is an error the job must show.
  md=$("$SCHEMAC" plan --schema "$SCHEMA_DIR" "${db_args[@]}" --format markdown --out "$PLAN_FILE" \
    --detailed-exitcode) || code=$?
  [ "$code" -eq 0 ] || [ "$code" -eq 2 ] || die "schemac plan failed (exit $code)"
  printf '%s\n%s\n' "$MARKER" "$md" >"$COMMENT_FILE"
  echo "schemac-ci: plan saved to $PLAN_FILE ($([ "$code" -eq 0 ] && echo 'no changes' || echo 'changes'))"
  if [ -n "${GITHUB_TOKEN:-}" ] && [ -n "${PR_NUMBER:-}" ]; then
    post_github
  elif [ -n "${GITLAB_TOKEN:-}" ] && [ -n "${CI_MERGE_REQUEST_IID:-}" ]; then
    post_gitlab
  fi
}

apply() {
  [ -f "$PLAN_FILE" ] || die "no saved plan at $PLAN_FILE: apply runs the plan the review saw (the plan job's artifact)"
  local allowed=()
  for h in ${ALLOW_HAZARDS:-}; do allowed+=(--allow-hazard "$h"); done
  # One JSON event per line for the deploy log; --wait queues behind another apply.
  "$SCHEMAC" apply "$PLAN_FILE" "${db_args[@]}" --auto-approve --wait --format json "${allowed[@]}"
}

case "${1:-}" in
  plan) plan ;;
  apply) apply ;;
  *) die "usage: schemac-ci.sh plan|apply" ;;
esac

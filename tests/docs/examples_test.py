#!/usr/bin/env python3
"""Runs every TOML and shell example of README.md and docs/*.md (issue 12), so
the documentation cannot drift from the code.

Each fenced block may be preceded by an HTML comment that GitHub does not show,
saying how it is tested:

  <!-- docs-test: check with examples/saas/schema -->
      TOML: `schemac check` on that folder with this block in place of the file
      that declares the same tables.
  <!-- docs-test: check with the sql below -->
      TOML: checked together with the next ```sql block (the SQL it names).
  <!-- docs-test: run; database examples/seed-audit/before.sql; editor tests/docs/adopt_suggestions.py -->
      shell: run in an empty folder against a fresh database of the test's
      cluster (DATABASE_URL and PG* set), with `schemac` and `build/schemac` the
      binary under test, after loading the SQL file; $EDITOR is the script
      given (a person's edit, made by a program). `pg_virtualenv OPTIONS CMD`
      runs CMD against that same database. `copy SRC DEST` copies a folder of
      the repository into the folder first. `replace "A" "B"` runs the block
      with A replaced by B (benchmarks at a size a test affords), said here.
  <!-- docs-test: run by .ci/run -->
      shell: every command of the block is a line of .ci/run, which CI runs.

Every relative link names a file of the repository and a heading of it.
Every TOML block, whatever its comment, parses and validates against the
JSON Schema `schemac json-schema` prints; a TOML block without a comment is
checked alone, with a project and a tenants table beside it when it has none.
A shell block without a comment fails the test: say how it is run.

usage: examples_test.py SCHEMAC BUILD_DIR SOURCE_DIR
"""
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib

import jsonschema

SCHEMAC, BUILD, SOURCE = (pathlib.Path(p).resolve() for p in sys.argv[1:4])
failures = []
counts = {"toml": 0, "sh": 0}

CONTEXT_PROJECT = '[project]\ntarget = "postgres"\n'
CONTEXT_TENANTS = """[tables.organizations.columns]
id   = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
name = "text"
"""


def blocks(path):
    """(language, text, annotation, line) of each fenced block of a markdown file."""
    lines = path.read_text().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w*)", lines[i])
        if not m:
            i += 1
            continue
        start = i
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        before = start - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        note = re.match(r"^<!-- docs-test: (.*) -->$", lines[before]) if before >= 0 else None
        yield m.group(1), "\n".join(body) + "\n", note.group(1) if note else None, start + 1


def fail(where, message):
    failures.append(f"{where}: {message}")


def schemac(*args, cwd=None, env=None):
    return subprocess.run([str(SCHEMAC), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def tables_of(doc):
    return set((doc.get("tables") or {}).keys())


def check_toml(where, text, note, next_sql, json_schema):
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return fail(where, f"not TOML: {e}")
    try:
        jsonschema.validate(doc, json_schema)
    except jsonschema.ValidationError as e:
        return fail(where, f"not the language (JSON Schema): {e.message} at {list(e.absolute_path)}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp) / "schema"
        if note and note.startswith("check with ") and note != "check with the sql below":
            shutil.copytree(SOURCE / note[len("check with "):], folder)
            for f in folder.rglob("*.toml"):
                if tables_of(tomllib.loads(f.read_text())) & tables_of(doc):
                    f.unlink()
        else:
            folder.mkdir()
            if "project" not in doc and "tenancy" not in doc:
                (folder / "00_context_project.toml").write_text(CONTEXT_PROJECT)
            if "organizations" not in tables_of(doc):
                (folder / "00_context_tenants.toml").write_text(CONTEXT_TENANTS)
        if note == "check with the sql below":
            if next_sql is None:
                return fail(where, "no ```sql block follows")
            (folder / "zz_example.sql").write_text(next_sql)
        (folder / "zz_example.toml").write_text(text)
        r = schemac("check", "--schema", str(folder))
        if r.returncode != 0:
            fail(where, f"schemac check failed:\n{r.stdout}{r.stderr}")


def database_url(name):
    user = os.environ.get("PGUSER", os.environ.get("USER", "postgres"))
    password = os.environ.get("PGPASSWORD", "")
    host = os.environ.get("PGHOST", "localhost")
    port = os.environ.get("PGPORT", "5432")
    auth = user + (":" + password if password else "")
    return f"postgresql://{auth}@{host}:{port}/{name}"


def psql(sql, database="postgres"):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql], check=True,
                   capture_output=True, text=True)


PRELUDE = """
set -euo pipefail
# The test's own throw-away database stands in for the one pg_virtualenv makes.
pg_virtualenv() { while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do case $1 in -o|-v|-c|-s) shift 2;; *) shift;; esac; done; "$@"; }
"""


def run_shell(where, text, note, ci_run):
    directives = [d.strip() for d in note.split(";")]
    if directives[0] == "run by .ci/run":
        for line in text.split("\n"):
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#") and command not in ci_run:
                fail(where, f"not run by .ci/run: {command}")
        return
    if directives[0] != "run":
        return fail(where, f"unknown docs-test comment: {note}")
    env = dict(os.environ)
    sql_file = None
    copies = []  # (source, path in the folder)
    for d in directives[1:]:
        words = shlex.split(d)
        if words[0] == "database":
            sql_file = SOURCE / words[1]
        elif words[0] == "copy":
            copies.append((SOURCE / words[1], words[2]))
        elif words[0] == "editor":
            env["EDITOR"] = str(SOURCE / words[1])
        elif words[0] == "replace":
            if words[1] not in text:
                return fail(where, f"replace: {words[1]!r} is not in the block")
            text = text.replace(words[1], words[2])
        else:
            return fail(where, f"unknown docs-test directive: {d}")
    name = f"docs_example_{os.getpid()}_{counts['sh']}"
    psql(f'DROP DATABASE IF EXISTS "{name}"')
    psql(f'CREATE DATABASE "{name}"')
    try:
        if sql_file:
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", name, "-f", str(sql_file)], check=True,
                           capture_output=True, text=True)
        with tempfile.TemporaryDirectory() as tmp:
            work = pathlib.Path(tmp)
            bin_dir = work / ".bin"
            bin_dir.mkdir()
            (bin_dir / "schemac").symlink_to(SCHEMAC)
            (work / "build").mkdir()
            (work / "build" / "schemac").symlink_to(SCHEMAC)
            (work / "build" / "bench").symlink_to(BUILD / "bench")
            (work / ".ci").symlink_to(SOURCE / ".ci")
            for source, dest in copies:
                shutil.copytree(source, work / dest)
            env.update(PGDATABASE=name, DATABASE_URL=database_url(name), PATH=f"{bin_dir}:{env['PATH']}")
            r = subprocess.run(["bash", "-c", PRELUDE + text], cwd=work, env=env, capture_output=True, text=True,
                               timeout=900)
            if r.returncode != 0:
                fail(where, f"exit {r.returncode}:\n{r.stdout[-3000:]}{r.stderr[-3000:]}")
    finally:
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def slug(heading):
    """GitHub's anchor of a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page):
    found, fence = set(), False
    for line in page.read_text().split("\n"):
        fence = fence != line.startswith("```")
        if not fence and (m := re.match(r"^#+ (.*)$", line)):
            found.add(slug(m.group(1)))
    return found


def check_links(page):
    """Every relative link of a page names a file of the repository (or a
    sibling of it, ../shared) and, with #anchor, a heading of that file."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            if not str(file).startswith(str(SOURCE)):
                continue  # outside the repository (the seed audit): not this test's to check
            fail(page.relative_to(SOURCE), f"link to {target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            fail(page.relative_to(SOURCE), f"link to {target}: no such heading")


def main():
    json_schema = json.loads(schemac("json-schema").stdout)
    ci_run = (SOURCE / ".ci" / "run").read_text()
    pages = [SOURCE / "README.md", *sorted((SOURCE / "docs").glob("*.md"))]
    for page in pages:
        check_links(page)
        found = list(blocks(page))
        for n, (language, text, note, line) in enumerate(found):
            where = f"{page.relative_to(SOURCE)}:{line}"
            if language == "toml":
                counts["toml"] += 1
                next_sql = next((t for lang, t, _, _ in found[n + 1:] if lang == "sql"), None)
                check_toml(where, text, note, next_sql, json_schema)
            elif language in ("sh", "shell", "bash", "console"):
                counts["sh"] += 1
                if note is None:
                    fail(where, "a shell example no test runs: precede it with <!-- docs-test: ... -->")
                else:
                    run_shell(where, text, note, ci_run)
    print(f"{counts['toml']} TOML and {counts['sh']} shell examples in {len(pages)} pages")
    for f in failures:
        print("FAIL", f)
    return 1 if failures or not counts["toml"] or not counts["sh"] else 0


if __name__ == "__main__":
    sys.exit(main())

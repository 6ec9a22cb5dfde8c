#!/usr/bin/env python3
"""The JSON Schema editors check declarations against (`schemac json-schema`),
judged on the language as schemac reads it:
  - it is a valid draft-07 schema, and the committed schemac.schema.json (which
    the examples point at with taplo's #:schema directive) is what the binary prints;
  - every example and test schema passes it;
  - every diagnostics case about keys, shapes or closed sets of values fails it,
    and every other one that is TOML passes it (what only schemac can judge,
    an unknown column in an index, is not flagged by the editor).

  json_schema_test.py SCHEMAC_BIN SOURCE_DIR
"""
import json
import pathlib
import subprocess
import sys
import tomllib

import jsonschema

schemac, src = sys.argv[1], pathlib.Path(sys.argv[2])
failures = []

printed = subprocess.run([schemac, "json-schema"], check=True, capture_output=True, text=True).stdout
schema = json.loads(printed)
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
if (src / "schemac.schema.json").read_text() != printed:
    failures.append("schemac.schema.json differs from `schemac json-schema`: regenerate it "
                    "(build/schemac json-schema > schemac.schema.json)")


def errors(path):
    with open(path, "rb") as f:
        document = tomllib.load(f)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


valid = sorted(src.glob("examples/**/*.toml")) + sorted(src.glob("tests/acceptance/*/schema.toml")) + \
    sorted(src.glob("tests/schemas/**/*.toml"))
for path in valid:
    for e in errors(path):
        failures.append(f"{path.relative_to(src)} is valid but the JSON Schema says: {e}")

# Diagnostics cases the editor must flag: unknown keys and sections, values of
# the wrong type or shape, values outside a closed set, a column without a type.
must_fail = {
    "01-unknown-table-key", "02-unknown-column-key", "03-column-without-type", "10-bad-on-delete",
    "13-index-unknown-method", "15-policy-bad-command", "22-wrong-value-type", "23-bad-target",
    "24-postgres-version", "25-unknown-section", "34-lock-timeout", "38-unknown-privilege", "40-several-errors",
    "43-deep-nesting", "44-table-wrong-shape", "45-columns-wrong-shape", "48-bad-tenancy-reference",
    "49-key-too-many-parts", "50-arrays-nested-too-deep", "51-inline-tables-nested-too-deep", "58-rls-value",
    "60-flag-column", "62-column-privilege",
}
seen = set()
for path in sorted((src / "tests/diagnostics").glob("*.toml")):
    case = path.stem
    try:
        found = errors(path)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        continue  # not TOML: no editor schema applies
    seen.add(case)
    if case in must_fail and not found:
        failures.append(f"diagnostics/{case} is broken but passes the JSON Schema")
    if case not in must_fail and found:
        failures.append(f"diagnostics/{case}: the JSON Schema flags what only schemac can judge: {found[0]}")
for case in sorted(must_fail - seen):
    failures.append(f"diagnostics/{case} is listed but was not checked")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"ok: {len(valid)} valid files pass; {len(must_fail)} broken cases fail; {len(seen) - len(must_fail)} "
      "cases only schemac can judge pass")

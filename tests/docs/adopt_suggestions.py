#!/usr/bin/env python3
"""$EDITOR for the adoption walk-through (docs/adoption.md): makes the edit a
person makes after `schemac import`, as tests/import_test.cpp does: uncomments
the suggested flags in each table's file and deletes the rls = "enabled" lines
they replace, and uncomments the [tenancy] settings in schemac.toml."""
import pathlib
import sys

FLAGS = ("audited", "soft_delete", "tenant_scoped", "touch_updated_at")

for name in sys.argv[1:]:
    path = pathlib.Path(name)
    out = []
    tenancy = False
    for line in path.read_text().split("\n"):
        if path.name == "schemac.toml":
            tenancy = tenancy or line == "# [tenancy]"
            if tenancy and line.startswith("# "):
                line = line[2:].split("   #")[0]
        else:
            flag = next((f for f in FLAGS if line.startswith(f"# {f} ")), None)
            if flag:
                line = f"{flag} = true"
            if line.startswith('rls = "enabled"  # delete this line with tenant_scoped'):
                continue
        out.append(line)
    path.write_text("\n".join(out))

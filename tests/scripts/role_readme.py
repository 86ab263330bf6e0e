#!/usr/bin/env python3
"""Write (or --check) the variables table of each role README from meta/argument_specs.yml.

The table sits between the markers
    <!-- BEGIN VARIABLES (generated from meta/argument_specs.yml) -->
    <!-- END VARIABLES -->
so the prose around it stays hand-written while the table can never drift from
the specs. `make lint` runs it with --check.
"""

import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEGIN = "<!-- BEGIN VARIABLES (generated from meta/argument_specs.yml) -->"
END = "<!-- END VARIABLES -->"


def _cell(value):
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml"), encoding="utf-8") as f:
        options = yaml.safe_load(f)["argument_specs"]["main"].get("options", {})
    lines = ["| variable | type | default | description |", "| --- | --- | --- | --- |"]
    for name, spec in options.items():
        default = spec.get("default", "")
        if not isinstance(default, str):
            default = yaml.safe_dump(default, default_flow_style=True).strip().replace("\n...", "")
        desc = spec.get("description", "")
        if isinstance(desc, list):
            desc = " ".join(desc)
        if spec.get("choices"):
            desc += " One of: %s." % ", ".join("`%s`" % c for c in spec["choices"])
        lines.append("| `%s` | %s | `%s` | %s |" % (name, spec.get("type", "str"), _cell(default), _cell(desc)))
    return "\n".join(lines)


def render(role, text):
    if BEGIN not in text or END not in text:
        return None
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return "%s%s\n%s\n%s%s" % (head, BEGIN, table(role), END, tail)


def main(check):
    stale = []
    for role in sorted(os.listdir(os.path.join(ROOT, "roles"))):
        path = os.path.join(ROOT, "roles", role, "README.md")
        if not os.path.exists(path):
            stale.append("%s: no README.md" % role)
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        new = render(role, text)
        if new is None:
            stale.append("%s: README.md has no variables markers" % role)
        elif new != text:
            if check:
                stale.append("%s: variables table is stale (run tests/scripts/role_readme.py)" % role)
            else:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(new)
    for line in stale:
        print(line, file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv))

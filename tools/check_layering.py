#!/usr/bin/env python3
"""Checks the module layering of src/ (STYLE.md section 2).

Scans src/<module>/**/*.{h,cc,inc} for `#include "<module>/..."` and fails on every edge that the
table below does not allow. A module may always include its own headers; test files (*_test.cc)
may also include "testing/...". An include whose first path component is not a directory of src/
(a third-party header included with quotes) is ignored. A directory of src/ missing from the
table is an error in both directions, so a new module has to be added here on purpose. A seam
(SEAMS) is a concrete header that other modules must reach through its interface.

Usage: tools/check_layering.py [REPO_ROOT]     (default: the repository holding this script)
Exit status: 0 when every include is allowed, 1 on any violation, 2 on a usage error.
"""

import pathlib
import re
import sys

ALL = "*"

# module -> modules it may include (besides itself). `server` is the composition root.
ALLOWED = {
    "base": set(),
    "testing": {"base"},
    "config": {"base"},
    "catalog": {"base", "config"},
    "geo": {"base"},
    "store": {"base"},
    "cluster": {"base", "store", "db"},
    "web": {"base"},
    "db": {"base"},
    "auth": {"base", "db"},
    "net": {"base"},
    "json": {"base"},
    "official": {"base", "db", "net", "json"},
    "sim": {"base", "catalog", "geo", "config"},
    "ingest": {"base", "store", "geo", "catalog"},
    "detect": {"base", "store", "geo", "catalog"},
    "incidents": {"base", "detect", "store", "catalog", "db"},
    "pipeline": {"base", "store", "geo", "detect", "incidents", "db"},
    "alerts": {"base", "incidents", "db", "net"},
    "api": {"base", "ingest", "store", "geo", "catalog", "incidents", "detect", "web", "auth",
            "alerts", "json", "official", "db"},
    "server": ALL,
}

# Only test files may include these (in addition to the table).
TEST_ONLY = {"testing"}

# Seams: concrete implementations that only their own module, the composition root (server) and
# test files may include; everyone else goes through the interface named here.
SEAMS = {
    "store/store.h": "store/report_intake.h (writes) or store/count_store.h (reads)",
}

SOURCE_SUFFIXES = {".h", ".cc", ".inc"}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"(([^"/]+)/[^"]*)"')


def is_test_file(path: pathlib.Path) -> bool:
    return path.name.endswith("_test.cc")


def allowed(src: str, dst: str, test_file: bool) -> bool:
    if src == dst:
        return True
    rule = ALLOWED[src]
    if rule == ALL or dst in rule:
        return True
    return test_file and dst in TEST_ONLY


def main(argv: list[str]) -> int:
    if len(argv) > 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1]) if len(argv) == 2 else pathlib.Path(__file__).resolve().parent.parent
    src_root = root / "src"
    if not src_root.is_dir():
        print(f"layering: {src_root} is not a directory", file=sys.stderr)
        return 2

    modules = sorted(p.name for p in src_root.iterdir() if p.is_dir())
    known = set(modules) | set(ALLOWED)
    violations: list[str] = []
    checked = 0

    for module in modules:
        if module not in ALLOWED:
            violations.append(
                f"src/{module}/: module '{module}' has no layering rule "
                "(add it to ALLOWED in tools/check_layering.py)")
            continue
        files = sorted(p for p in (src_root / module).rglob("*")
                       if p.is_file() and p.suffix in SOURCE_SUFFIXES)
        for path in files:
            rel = path.relative_to(root)
            test_file = is_test_file(path)
            text = path.read_text(encoding="utf-8", errors="replace")
            for lineno, line in enumerate(text.splitlines(), start=1):
                match = INCLUDE_RE.match(line)
                if not match:
                    continue
                header, dst = match.group(1), match.group(2)
                if dst not in known:
                    continue  # not one of ours
                checked += 1
                if (header in SEAMS and module not in (dst, "server") and not test_file):
                    violations.append(f"{rel}:{lineno}: {module} includes the concrete "
                                      f'"{header}"; use {SEAMS[header]}')
                    continue
                if dst not in ALLOWED:
                    violations.append(f"{rel}:{lineno}: {module} -> {dst} "
                                      f"(module '{dst}' has no layering rule)")
                elif not allowed(module, dst, test_file):
                    what = ("testing/ is for *_test.cc files only" if dst in TEST_ONLY
                            else f"{module} may include only: "
                            + (", ".join(sorted(ALLOWED[module])) or "nothing"))
                    violations.append(f"{rel}:{lineno}: forbidden edge {module} -> {dst} "
                                      f'(#include "{header}"; {what})')

    if violations:
        for v in violations:
            print(v)
        print(f"layering: FAILED, {len(violations)} violation(s) ({checked} includes checked)")
        return 1
    print(f"layering: ok ({checked} includes checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Checks that every target imports exactly the modules Package.swift declares for it.

Usage: .venv/bin/python tools/check-imports.py   (from the repository root; run by tools/test.sh)

Reads `swift package dump-package`, and each target's Swift files' top-level
`import` lines. A module imported but not declared builds only by accident
(through another target's dependency); one declared but not imported is a
dependency nobody uses. Exit 1 naming both.
"""
import glob
import json
import re
import subprocess
import sys

# Modules of the toolchain and the platform, which no target declares.
PLATFORM = {"Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Musl", "Darwin", "Dispatch",
            "Synchronization", "Testing", "XCTest", "_Concurrency"}
IMPORT = re.compile(r"^(?:@testable |@preconcurrency |@_exported )*import (?:(?:struct|class|enum|func|protocol|typealias|var|let) )?(\w+)")


def main():
    package = json.loads(subprocess.check_output(["swift", "package", "dump-package"], stderr=subprocess.DEVNULL))
    problems = []
    for target in package["targets"]:
        if target["type"] == "system":
            continue
        name = target["name"]
        path = target.get("path") or ("Tests/" if target["type"] == "test" else "Sources/") + name
        declared = {names[0] for dependency in target["dependencies"] for names in dependency.values()}
        imported = set()
        for file in glob.glob(path + "/**/*.swift", recursive=True):
            with open(file, encoding="utf-8") as f:
                imported |= {m.group(1) for m in map(IMPORT.match, f) if m}
        undeclared = sorted(imported - declared - PLATFORM)
        unused = sorted(declared - imported)
        if undeclared:
            problems.append(f"{name} imports {', '.join(undeclared)} without declaring it in Package.swift")
        if unused:
            problems.append(f"{name} declares {', '.join(unused)} in Package.swift and imports none of it")
    for p in problems:
        print("check-imports:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

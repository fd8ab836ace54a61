#!/usr/bin/env python3
"""Checks a crate's layering: every file imports only files listed above it in the ```layers
block of its DESIGN.md, and no file is missing from the list. Uses the module graph of
../shared/tools/module_graph.py (a cycle is always an upward arrow too).

Usage: layers.py CRATE_DIR...   (exit 1 on any upward arrow, unlisted file or circle)
"""
import json, os, re, subprocess, sys

GRAPH = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tools", "module_graph.py")


def check(crate):
    text = open(os.path.join(crate, "DESIGN.md"), encoding="utf-8").read()
    block = re.search(r"```layers\n(.*?)```", text, re.S)
    if not block:
        return [f"{crate}/DESIGN.md has no ```layers block"]
    order = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    out = subprocess.run([sys.executable, GRAPH, os.path.join(crate, "src"), "--json"],
                         capture_output=True, text=True, check=True).stdout
    graph = json.loads(out)["crates"][0]
    problems = [f"{crate}: circle {c}" for c in graph["cycles"]]
    for edge in graph["edges"]:
        a, b = [x.strip() for x in edge.split("->")]
        for f in (a, b):
            if f not in order:
                problems.append(f"{crate}: {f} is not in DESIGN.md's layers")
        if a in order and b in order and order.index(b) > order.index(a):
            problems.append(f"{crate}: {a} imports {b}, which comes after it in DESIGN.md's layers")
    src = os.path.join(crate, "src")
    for root, _, files in os.walk(src):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), src)
            if name.endswith(".rs") and rel not in order and rel != "main.rs" and not rel.startswith("bin/"):
                problems.append(f"{crate}: {rel} is not in DESIGN.md's layers")
    return sorted(set(problems))


def main():
    if not os.path.exists(GRAPH):
        print(f"layers: {GRAPH} is missing", file=sys.stderr)
        return 1
    problems = [p for crate in sys.argv[1:] for p in check(crate)]
    for p in problems:
        print(p)
    print(f"layers: {len(problems)} problem(s) in {', '.join(sys.argv[1:])}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

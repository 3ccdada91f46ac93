#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Count the TAP cases of a meson test run (meson-logs/testlog.json).

Usage: tap_summary.py TESTLOG.json [LABEL]

Prints each failing case with its first diagnostics (and each program that
died without reporting) to stdout, then a last line "PASSED FAILED".  A
program that ran no case or failed without a "not ok" line counts as one
failure.
"""
import json
import re
import sys

passed = failed = 0
lines = []
label = sys.argv[2] + ": " if len(sys.argv) > 2 else ""
with open(sys.argv[1], encoding="utf-8") as log:
    for raw in log:
        test = json.loads(raw)
        out = test.get("stdout") or ""
        name = label + test.get("name", "?")
        ok = 0
        bad = []
        diagnostics = []  # a case's "# ..." lines come before its verdict
        for line in out.splitlines():
            if re.match(r"ok \d+", line):
                ok += 1
                diagnostics = []
            elif re.match(r"not ok \d+", line):
                bad.append(line)
                lines.append(f"{name}: {line}")
                lines.extend(f"{name}:   {d}" for d in diagnostics[:3])
                diagnostics = []
            elif line.startswith("# "):
                diagnostics.append(line)
        passed += ok
        failed += len(bad)
        if test.get("result") != "OK" and not bad:
            failed += 1
            lines.append(f"{name}: {test.get('result')} (no failing case reported)")
        lines.append(f"{name}: {ok} passed, {len(bad)} failed")
for line in lines:
    print(line)
print(passed, failed)

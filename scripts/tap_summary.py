#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Count the TAP cases of a meson test run (meson-logs/testlog.json).

Usage: tap_summary.py TESTLOG.json [LABEL]

Prints each failing case (and each program that died without reporting) to
stdout, then a last line "PASSED FAILED".  A program that ran no case or
failed without a "not ok" line counts as one failure.
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
        ok = len(re.findall(r"^ok \d+", out, re.M))
        bad = re.findall(r"^not ok \d+.*$", out, re.M)
        passed += ok
        failed += len(bad)
        name = label + test.get("name", "?")
        for line in bad:
            lines.append(f"{name}: {line}")
        if test.get("result") != "OK" and not bad:
            failed += 1
            lines.append(f"{name}: {test.get('result')} (no failing case reported)")
        lines.append(f"{name}: {ok} passed, {len(bad)} failed")
for line in lines:
    print(line)
print(passed, failed)

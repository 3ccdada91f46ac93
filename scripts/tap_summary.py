#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Count the TAP cases of a meson test run (meson-logs/testlog.json).

Usage: tap_summary.py TESTLOG.json [LABEL]

Prints each failing case with its diagnostics (and each program that died
without reporting) to stdout, then a last line "PASSED FAILED".  A program
that ran no case or failed without a "not ok" line counts as one failure.
"""
import json
import re
import sys

# A failing case's "# ..." lines, shown in the summary: its first ones say
# what failed, its last ones (a command's tail) mostly why.
SHOWN_FIRST = 2
SHOWN_LAST = 6


def shown(diagnostics):
    if len(diagnostics) <= SHOWN_FIRST + SHOWN_LAST:
        return diagnostics
    return diagnostics[:SHOWN_FIRST] + ["# ..."] + diagnostics[-SHOWN_LAST:]


def failing_cases(out):
    """Each "not ok" line with its diagnostics, and the number of "ok" lines.

    Our programs print a case's diagnostics before its verdict, libFuzzer's
    wrapper and TAP's custom after it: a failing case takes both sides.
    """
    ok = 0
    cases = []  # [verdict, diagnostics]
    before = []
    after = None  # the diagnostics of the last "not ok", while they follow it
    for line in out.splitlines():
        if re.match(r"(not )?ok \d+", line):
            if line.startswith("not"):
                after = list(before)
                cases.append([line, after])
            else:
                ok += 1
                after = None
            before = []
        elif line.startswith("# "):
            before.append(line)
            if after is not None:
                after.append(line)
    return ok, cases


passed = failed = 0
lines = []
label = sys.argv[2] + ": " if len(sys.argv) > 2 else ""
with open(sys.argv[1], encoding="utf-8") as log:
    for raw in log:
        test = json.loads(raw)
        name = label + test.get("name", "?")
        ok, bad = failing_cases(test.get("stdout") or "")
        for verdict, diagnostics in bad:
            lines.append(f"{name}: {verdict}")
            lines.extend(f"{name}:   {d}" for d in shown(diagnostics))
        passed += ok
        failed += len(bad)
        if test.get("result") != "OK" and not bad:
            failed += 1
            lines.append(f"{name}: {test.get('result')} (no failing case reported)")
        lines.append(f"{name}: {ok} passed, {len(bad)} failed")
for line in lines:
    print(line)
print(passed, failed)

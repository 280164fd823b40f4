#!/usr/bin/env python3
"""Slither gate: reads slither's JSON report and applies the accepted-findings policy in tools/slither-triage.json.

Fails (exit 1) on any High or Medium finding, and on any Low/Informational finding that no triage entry accepts.
Prints one line per finding and a summary line: ``slither: N findings (H high, M medium, L low, I informational),
A accepted with a reason, U unaccepted``.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

TRIAGE = Path(__file__).with_name("slither-triage.json")


def main(report_path: str) -> int:
    report = json.loads(Path(report_path).read_text())
    if not report.get("success", False):
        print(f"slither failed: {report.get('error')}")
        return 1
    findings = report.get("results", {}).get("detectors", [])
    accepted = json.loads(TRIAGE.read_text())["accepted"]
    impacts: Counter[str] = Counter()
    ok, bad = 0, 0
    for f in findings:
        impact, check, text = f["impact"], f["check"], f["description"].strip().splitlines()[0]
        impacts[impact] += 1
        reason = None
        if impact not in ("High", "Medium"):
            reason = next((a["reason"] for a in accepted
                           if a["check"] == check and re.search(a["match"], f["description"])), None)
        if reason is None:
            bad += 1
            print(f"  UNACCEPTED [{impact}] {check}: {text}")
        else:
            ok += 1
            print(f"  accepted   [{impact}] {check}: {text}")
    print(f"slither: {len(findings)} findings ({impacts['High']} high, {impacts['Medium']} medium, "
          f"{impacts['Low']} low, {impacts['Informational']} informational), {ok} accepted with a reason, "
          f"{bad} unaccepted")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

"""Supply-chain check for CI: pip-audit's report of the installed environment, read strictly.

Fails on any known vulnerability. Packages pip-audit could not look up (its vulnerability
service unreachable, as on a machine that reaches only package indexes) are counted and
named in a notice: "not audited" is said out loud, never reported as "no vulnerabilities".
Usage: .venv/bin/pip-audit -f json -o report.json; python .ci/supply_chain.py < report.json
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    text = sys.stdin.read()
    if not text.strip():
        print("NOTICE: pip-audit produced no report (it could not run here); nothing audited.")
        return 0
    report = json.loads(text)
    dependencies = report.get("dependencies", [])
    vulnerable = [(d["name"], d["version"], v["id"]) for d in dependencies
                  for v in d.get("vulns", [])]
    skipped = [d["name"] for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    for name, version, vuln_id in vulnerable:
        print(f"VULNERABLE: {name} {version}: {vuln_id}")
    print(f"pip-audit: {audited} of {len(dependencies)} packages audited, "
          f"{len(vulnerable)} known vulnerabilities.")
    if skipped:
        print(f"NOTICE: {len(skipped)} packages could not be audited (vulnerability service "
              f"unreachable from this machine?): {', '.join(sorted(skipped)[:10])}"
              f"{' ...' if len(skipped) > 10 else ''}")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())

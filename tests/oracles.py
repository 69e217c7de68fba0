"""The ecosystems' own tools as oracles for the version comparators: dpkg, librpm (Debian's
python3-rpm, run with the system Python), npm's semver (Debian's node-semver) and pip.

A missing oracle skips its test on a developer machine and fails it in CI (``CI=true``),
where tests/run.sh installs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
NODE_PATHS = ("/usr/share/nodejs", "/usr/lib/nodejs", "/usr/local/lib/node_modules")


def need(ok: bool, what: str) -> None:
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs {what}", pytrace=False)
    pytest.skip(f"oracle missing: {what}")


def dpkg_confirms(claims: Sequence[tuple[str, str, str]], workers: int = 4) -> list[int]:
    """Exit codes of ``dpkg --compare-versions A OP B`` for each (a, op, b): 0 true, 1 false,
    2 a version dpkg rejects. Run by a few shell loops (a process per pair is the cost)."""
    need(shutil.which("dpkg") is not None, "dpkg (Debian)")
    script = ('while IFS="$(printf "\\t")" read -r a op b; do '
              'dpkg --compare-versions "$a" "$op" "$b" 2>/dev/null; echo $?; done')
    chunks = [list(claims[i::workers]) for i in range(workers)]
    procs = [subprocess.Popen(["bash", "-c", script], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in chunks]
    outs = [p.communicate("".join(f"{a}\t{op}\t{b}\n" for a, op, b in c))[0].split()
            for p, c in zip(procs, chunks)]
    codes = [0] * len(claims)
    for i, out in enumerate(outs):
        for k, code in enumerate(out):
            codes[i + k * workers] = int(code)
    return codes


_RPM_SCRIPT = """
import json, sys, rpm
out = []
for a, b in json.load(sys.stdin):
    x, y = rpm.ver(a), rpm.ver(b)
    out.append(-1 if x < y else (0 if x == y else 1))
json.dump(out, sys.stdout)
"""


def rpm_order(pairs: Sequence[tuple[str, str]]) -> list[int]:
    """librpm's ordering (``rpm.ver``: its own E:V-R parser and rpmvercmp)."""
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import rpm"], capture_output=True) \
        if os.path.exists(SYSTEM_PYTHON) else None
    need(probe is not None and probe.returncode == 0, "Debian's python3-rpm")
    out = subprocess.run([SYSTEM_PYTHON, "-c", _RPM_SCRIPT], input=json.dumps(list(pairs)),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


_SEMVER_SCRIPT = """
const semver = require('semver');
let data = '';
process.stdin.on('data', d => data += d);
process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify(JSON.parse(data).map(([a, b]) => {
    const va = semver.valid(a) !== null, vb = semver.valid(b) !== null;
    return [va, vb, va && vb ? semver.compare(a, b) : null];
  })));
});
"""


def node_semver(pairs: Sequence[tuple[str, str]]) -> list[tuple[bool, bool, int | None]]:
    """npm's semver: (valid a, valid b, compare) per pair."""
    node = shutil.which("node")
    env = {**os.environ, "NODE_PATH": os.pathsep.join(NODE_PATHS)}
    probe = subprocess.run([node, "-e", "require('semver')"], capture_output=True, env=env) \
        if node else None
    need(probe is not None and probe.returncode == 0, "node with npm's semver (Debian node-semver)")
    assert node is not None
    out = subprocess.run([node, "-e", _SEMVER_SCRIPT], input=json.dumps(list(pairs)), env=env,
                         capture_output=True, text=True, check=True).stdout
    return [tuple(row) for row in json.loads(out)]  # type: ignore[misc]


def pip_order(pairs: Sequence[tuple[str, str]]) -> list[tuple[bool, bool, int | None]]:
    """pip's own ordering (the packaging copy pip vendors and installs by)."""
    try:
        from pip._vendor.packaging.version import InvalidVersion, Version
    except ImportError:
        need(False, "pip")
        raise

    def parse(v: str) -> Version | None:
        try:
            return Version(v)
        except InvalidVersion:
            return None

    out: list[tuple[bool, bool, int | None]] = []
    for a, b in pairs:
        x, y = parse(a), parse(b)
        out.append((x is not None, y is not None,
                    None if x is None or y is None else (x > y) - (x < y)))
    return out

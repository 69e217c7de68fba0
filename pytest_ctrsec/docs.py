"""Generated documentation: the check catalogue and the option table, from the registry and
the option definitions, so the README never drifts from the code.

    python -m pytest_ctrsec.docs            # print both tables
    python -m pytest_ctrsec.docs --update README.md
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from .catalog import registry
from .findings import severity_rank
from .options import flag, ini_name, option_fields

KIND_TITLES = {
    "compose": "Compose", "container": "Running containers", "daemon": "Docker daemon",
    "image": "Images", "dockerfile": "Dockerfiles", "k8s": "Kubernetes",
}
MARKERS = {"checks": "checks", "options": "options"}


def checks_table() -> str:
    """One Markdown table per target kind: id, severity, title, refs."""
    out = []
    by_kind: dict[str, list] = {}
    for chk in registry().values():
        by_kind.setdefault(chk.kind, []).append(chk)
    for kind, title in KIND_TITLES.items():
        checks = sorted(by_kind.get(kind, []), key=lambda c: c.id)
        if not checks:
            continue
        out += [f"#### {title} ({len(checks)} checks)", "",
                "| id | severity | checks that | refs |", "|---|---|---|---|"]
        out += [f"| `{c.id}` | {c.severity} | {_cell(c.title)} | {_cell(', '.join(c.refs))} |"
                for c in checks]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def options_table() -> str:
    lines = ["| option | ini key | what it does |", "|---|---|---|"]
    for fld in option_fields():
        meta = fld.metadata
        spelled = flag(fld.name) + (f"={meta['metavar']}" if meta["metavar"] else "")
        lines.append(f"| `{spelled}` | `{ini_name(fld.name)}` | {_cell(meta['help'])} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(name: str) -> str:
    return checks_table() if name == "checks" else options_table()


def update(path: Path) -> bool:
    """Rewrite the generated blocks of ``path``; True when something changed."""
    text = path.read_text(encoding="utf-8")
    new = text
    for name in MARKERS:
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        new = pattern.sub(lambda m, n=name: m.group(1) + render(n) + m.group(2), new)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", metavar="FILE", help="rewrite the generated blocks of FILE")
    args = parser.parse_args()
    if args.update:
        print("updated" if update(Path(args.update)) else "up to date")
    else:
        print(checks_table())
        print(options_table())


if __name__ == "__main__":
    main()

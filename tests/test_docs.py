"""The README's generated tables match the registry and the option definitions."""

from __future__ import annotations

import re

from pytest_ctrsec import docs
from pytest_ctrsec.catalog import registry
from shared import REPO_ROOT


def _block(name: str) -> str:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert match, f"README.md has no generated {name} block"
    return match.group(1)


def test_readme_check_table_is_generated_from_the_registry() -> None:
    assert _block("checks") == docs.checks_table(), \
        "README.md is stale: run python -m pytest_ctrsec.docs --update README.md"
    for check_id in registry():
        assert f"`{check_id}`" in _block("checks")


def test_readme_option_table_lists_every_option() -> None:
    assert _block("options") == docs.options_table()
    assert "`--ctrsec-compose=FILE` | `ctrsec_compose`" in _block("options")

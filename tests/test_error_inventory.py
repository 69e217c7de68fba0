"""docs/errors.md lists every error message the code can raise, so it cannot drift.

Every call that builds an error (a ``CtrsecError`` subclass, pytest's ``UsageError``,
``InvalidVersion``, the loaders' internal errors whose text users see, and a module's own
error factories such as ``self.error(...)``) is found in the source with ``ast``. Its message
becomes a template (the varying parts of an f-string dropped); each module that raises must
have a section in the doc (a heading naming it in backticks), and every literal part of
each of its templates must appear in that section. A section for a module that raises
nothing is stale and fails too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pytest_ctrsec import errors

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pytest_ctrsec"
DOC = ROOT / "docs" / "errors.md"
# Errors whose text a user sees although they are not CtrsecErrors: pytest's usage error,
# version rejections (shown in vulnerability results), and the Compose and RBAC helpers'
# errors that the loaders wrap into their messages.
OTHER_ERRORS = {"UsageError", "InvalidVersion", "CastError", "SyntaxProblem", "Invalid",
                "TemplateError", "UnknownRole"}


def _error_names() -> set[str]:
    """CtrsecError and every class of the package derived from it, found in the source (the
    subclasses Python knows depend on what happens to be imported)."""
    bases: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute)
                    else "" for b in node.bases)
    found = {errors.CtrsecError.__name__}
    while True:
        more = {name for name, of in bases.items() if of & found} - found
        if not more:
            return found | OTHER_ERRORS
        found |= more


ERRORS = _error_names()


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else None


def template(node: ast.expr) -> str:
    """A message expression with its varying parts as ``…``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "…" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return template(node.left) + template(node.right)
    return "…"


def _factories(tree: ast.AST) -> set[str]:
    """Functions of a module that return a freshly built error (``def error(msg): return
    ParseError(msg, ...)``): their calls are raise sites too."""
    return {fn.name for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
            for ret in ast.walk(fn) if isinstance(ret, ast.Return)
            and isinstance(ret.value, ast.Call) and _called(ret.value) in ERRORS}


def raise_sites() -> dict[str, set[str]]:
    """Module path (relative to the repository) -> the message templates it raises."""
    out: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        factories = _factories(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = _called(node)
            literal = isinstance(node.args[0], (ast.Constant, ast.JoinedStr, ast.BinOp))
            if name in ERRORS or name in factories and literal:
                out.setdefault(str(path.relative_to(ROOT)), set()).add(template(node.args[0]))
    return out


def fragments(text: str) -> list[str]:
    """The literal parts of a template worth finding in the doc (a word or more)."""
    parts = (p.strip(" :;,.()'\"") for p in text.split("…"))
    return [p for p in parts if re.search(r"[A-Za-z]{2,}", p)]


def sections(doc: str) -> dict[str, str]:
    """Module path -> the text of the section(s) whose heading names it."""
    out: dict[str, str] = {}
    for chunk in re.split(r"\n(?=#{2,3} )", doc):
        heading = chunk.split("\n", 1)[0]
        if heading.startswith("### "):
            for module in re.findall(r"`(pytest_ctrsec/[\w/]+\.py)`", heading):
                out[module] = out.get(module, "") + chunk
    return out


SITES = raise_sites()
SECTIONS = sections(DOC.read_text())


def test_the_scan_finds_the_raise_sites() -> None:
    """The scan itself sees what it must (so an empty result cannot pass the tests below)."""
    assert len(SITES) >= 50 and sum(map(len, SITES.values())) >= 250
    assert "member … points outside the image root" in SITES[
        "pytest_ctrsec/targets/image/layers.py"]
    assert "nesting deeper than … levels" in SITES["pytest_ctrsec/targets/compose/yamlread.py"]
    assert fragments("--ctrsec-vulndb: …: …: not JSON (…)") == ["--ctrsec-vulndb", "not JSON"]


def test_every_module_that_raises_has_a_section() -> None:
    missing = sorted(set(SITES) - set(SECTIONS))
    assert not missing, f"add a '### `<module>`' section to docs/errors.md for: {missing}"


def test_no_section_is_stale() -> None:
    stale = sorted(set(SECTIONS) - set(SITES))
    assert not stale, f"docs/errors.md has sections for modules that raise nothing: {stale}"


@pytest.mark.parametrize("module", sorted(SITES))
def test_every_message_is_listed(module: str) -> None:
    text = SECTIONS.get(module, "")
    missing = sorted({t for t in SITES[module] for part in fragments(t) if part not in text})
    assert not missing, f"docs/errors.md, section {module}: list these messages: {missing}"

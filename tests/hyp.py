"""Hypothesis profiles of the property tests (every ``test_properties_*`` module imports this).

- ``default``: a bounded, derandomised run (the same examples on every run and on every
  xdist worker), so the whole property suite stays within about two minutes on two cores
  and CI never fails on an example a previous run did not try.
- ``long``: many more random examples, with hypothesis' example database, for local runs
  hunting new failures: ``HYPOTHESIS_PROFILE=long python -m pytest tests -k properties``.

Strategies shared by several property modules live here too.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture]

settings.register_profile("default", max_examples=40, deadline=None, derandomize=True,
                          database=None, suppress_health_check=_SLOW_OK, print_blob=True)
settings.register_profile("long", max_examples=400, deadline=None,
                          suppress_health_check=_SLOW_OK, print_blob=True)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)


def examples(n: int) -> settings:
    """A test's own example count under the default profile (scaled up under ``long``), for
    properties much cheaper or much dearer than the usual."""
    scale = 10 if PROFILE == "long" else 1
    return settings(max_examples=n * scale)


# -- shared strategies ---------------------------------------------------------------------

# Text that exercises decoders and parsers: control characters, separators, surrogates
# excluded (they cannot come from decoded input), astral characters included.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
# Short tokens that YAML and shell-like parsers give meaning to.
_YAML_TOKENS = ["-", ": ", ":", "? ", "&a ", "*a", "!!str ", "!reset ", "!override ", "<<: ",
                "[", "]", "{", "}", ",", "#", "'", '"', "|", ">", "\n", "  ", "\t", "---\n",
                "...\n", "%YAML 1.1\n", "~", "null", "yes", "0x1F", "0o17", "1e3", ".inf",
                "${X}", "$$", "${X:-d}", "${X:?e}", "\\", "%", "@", "`", "\x00", "\ufeff",
                "1" * 4400, "0x" + "f" * 4400]
yaml_noise = st.lists(st.one_of(st.sampled_from(_YAML_TOKENS), any_text), max_size=30).map(
    "".join)

# Plain data a YAML or JSON document can hold.
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                     st.floats(allow_nan=False), any_text)
plain_data = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(any_text, inner, max_size=4)), max_leaves=25)


def _paths(node: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every path to a value inside nested dicts and lists (the root included)."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


def mutate(data: st.DataObject, doc: object, times: int = 3) -> object:
    """``doc`` with up to ``times`` values replaced by random data, deleted, or wrapped in a
    list: documents that are nearly right, which reach deeper than random ones."""
    for _ in range(data.draw(st.integers(1, times))):
        path = data.draw(st.sampled_from(_paths(doc)))
        action = data.draw(st.sampled_from(["replace", "delete", "wrap"]))
        if not path:
            doc = data.draw(plain_data) if action == "replace" else [doc]
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]  # type: ignore[index]
        key = path[-1]
        if action == "delete":
            del parent[key]  # type: ignore[attr-defined]
        elif action == "wrap":
            parent[key] = [parent[key]]  # type: ignore[index]
        else:
            parent[key] = data.draw(plain_data)  # type: ignore[index]
    return doc

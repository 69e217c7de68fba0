"""pytest-ctrsec: container-security best practices as pytest test cases."""

from __future__ import annotations

import sys

__version__ = "0.1.0"


def _skip_assertion_rewriting() -> None:
    """pytest rewrites the ``assert`` statements of every module of a plugin's distribution.
    Ours raise their own messages and need none of its introspection (the bundled test
    modules are still rewritten, as test files), yet where bytecode cannot be cached
    (``PYTHONDONTWRITEBYTECODE``, a read-only site-packages) rewriting them cost 1-3 s on
    every run. Unmarking the package is a no-op outside pytest or if pytest changes."""
    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        cache = getattr(finder, "_marked_for_rewrite_cache", None)
        if isinstance(marked, set) and __name__ in marked:
            marked.discard(__name__)
            if isinstance(cache, dict):
                cache.clear()


_skip_assertion_rewriting()

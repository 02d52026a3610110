"""Make ``import search`` find the package, not this test folder.

This folder is called ``search`` and has no ``__init__.py``; with ``tests/`` on ``sys.path``
(pytest puts it there for ``tests/conftest.py``) Python would otherwise import this folder
as an empty namespace package.  ``pythonpath = ["."]`` in pyproject's pytest options does the
same for the whole suite.
"""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
_mod = sys.modules.get("search")
if _mod is not None and getattr(_mod, "__file__", None) is None:
    del sys.modules["search"]  # a namespace-package shadow imported earlier

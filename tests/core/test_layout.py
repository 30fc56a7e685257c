"""The layout rules of ADR 2: the analytics core never imports Django."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "gpequity.catalogue",
    "gpequity.catalogue.importer",
    "gpequity.catalogue.export",
    "gpequity.hna",
    "gpequity.hna.extract",
    "gpequity.hna.criteria",
    "gpequity.hna.engine",
    "gpequity.stats",
    "gpequity.disclosure",
    "gpequity.synth",
    "gpequity.cli.main",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_django(module):
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{module} imported Django: {result.stdout}{result.stderr}"

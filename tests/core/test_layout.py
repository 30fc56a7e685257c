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


def test_cli_start_does_not_load_the_catalogue():
    """Every `gpequity ...` command loads gpequity.cli.main; the catalogue's pydantic schema
    and pack loading (about 0.2 s) are left to the catalogue commands that need them, so
    `gpequity hna run` on a small practice stays well inside its time budget."""
    code = (
        "import sys; import gpequity.cli.main; "
        "bad = sorted(m for m in sys.modules if m.startswith('gpequity.catalogue')); "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"the CLI loaded the catalogue: {result.stdout}{result.stderr}"


def test_cli_default_pack_is_the_catalogue_default():
    from gpequity.catalogue import DEFAULT_PACK
    from gpequity.cli import catalogue

    assert catalogue.DEFAULT_PACK == DEFAULT_PACK

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
    "gpequity.engagement",
    "gpequity.synth",
    "gpequity.feedback",
    "gpequity.feedback.scrub",
    "gpequity.feedback.receipt",
    "gpequity.oruk",
    "gpequity.cli.main",
    "gpequity.casestudies.markdown",
    "gpequity.casestudies.workflow",
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


def test_hna_run_from_the_command_line_does_not_load_pandas(tmp_path):
    """`gpequity hna run` writes its files from plain rows: importing pandas (0.2-0.3 s, a fifth
    of a small practice's run) is left to Python API callers who ask for DataFrames."""
    from datetime import date

    from gpequity.synth import generate

    generate(200, seed=1, as_of=date(2024, 3, 31), out=tmp_path / "extract")
    code = (
        "import sys; from gpequity.cli.main import app; "
        "args = ['hna', 'run', sys.argv[1], '--as-of', '2024-03-31', '--out', sys.argv[2]]; "
        "app(args, standalone_mode=False); "
        "bad = sorted(m for m in sys.modules if m == 'pandas' or m.startswith('pandas.')); "
        "print('LOADED', ','.join(bad[:3])); sys.exit(1 if bad else 0)"
    )
    args = [sys.executable, "-c", code, str(tmp_path / "extract"), str(tmp_path / "out")]
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == 0, f"the run loaded pandas: {result.stdout}{result.stderr}"
    assert (tmp_path / "out" / "indicators.csv").exists()


def test_cli_default_pack_is_the_catalogue_default():
    from gpequity.catalogue import DEFAULT_PACK
    from gpequity.cli import catalogue

    assert catalogue.DEFAULT_PACK == DEFAULT_PACK

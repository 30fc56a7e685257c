"""`gpequity hna run EXTRACT --as-of DATE --store ODS_CODE` end to end (ADR 28): a
synthetic system extract run on the server and stored as one run per practice, with the
figures the CLI writes to practice_indicators/practice_gradients; unknown practice codes
refused with nothing stored."""

from __future__ import annotations

import csv
import json
import math
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpequity.cli.main import app
from gpequity.synth import generate
from gpequity.web.audit.models import AuditEvent
from gpequity.web.hna import selectors
from gpequity.web.hna.models import IndicatorResult, Run, RunKind, RunStatus
from tests.factories import ICBFactory, PCNFactory, PracticeFactory

pytestmark = pytest.mark.django_db
runner = CliRunner()
AS_OF = date(2025, 3, 31)
CODES = ("Y90001", "Y90002", "Y90003")


@pytest.fixture(scope="module")
def system_extract(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("system")
    generate(1200, seed=5, as_of=AS_OF, out=out, appointments_per_patient=2.0, practices=3)
    return out


@pytest.fixture
def icb():
    icb = ICBFactory(ods_code="QXX", name="Dale ICB")
    north = PCNFactory(ods_code="U11111", name="North PCN", parent=icb)
    south = PCNFactory(ods_code="U22222", name="South PCN", parent=icb)
    PracticeFactory(ods_code=CODES[0], name="Hill Surgery", parent=north)
    PracticeFactory(ods_code=CODES[1], name="Vale Surgery", parent=north)
    PracticeFactory(ods_code=CODES[2], name="Brook Surgery", parent=south)
    return icb


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _same(stored, written: str) -> bool:
    if written == "":
        return stored is None
    return math.isclose(float(stored), float(written), rel_tol=0, abs_tol=0)


def test_a_system_run_is_stored_per_practice_with_the_files_figures(system_extract, icb, tmp_path):
    out = tmp_path / "results"
    r = runner.invoke(
        app,
        [
            "hna",
            "run",
            str(system_extract),
            "--as-of",
            AS_OF.isoformat(),
            "--out",
            str(out),
            "--store",
            "qxx",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "Stored 3 practice runs for Dale ICB (QXX)" in r.output
    runs = {run.organisation.ods_code: run for run in Run.objects.select_related("organisation")}
    assert sorted(runs) == list(CODES)
    assert len({run.system_run_id for run in runs.values()}) == 1
    for run in runs.values():
        assert run.status == RunStatus.DONE and run.kind == RunKind.SYSTEM
        assert run.system_organisation == icb and run.as_of == AS_OF
        assert run.upload_names.startswith("System extract of Dale ICB")
        assert run.definitions and run.run_info["as_of"] == AS_OF.isoformat()
        # What the report pages read: the practice's latest finished run is this one.
        assert selectors.latest_done(run.organisation) == run

    # Every stored row is the CLI's practice_indicators row for that practice, in order.
    written = _read(out / "practice_indicators.csv")
    for code in CODES:
        mine = [w for w in written if w["practice_code"] == code]
        stored = selectors.indicator_rows(runs[code])
        assert len(stored) == len(mine) > 0
        for s, w in zip(stored, mine, strict=True):
            assert (s["indicator"], s["grouping"], s["group"]) == (
                w["indicator"],
                w["grouping"],
                w["group"],
            )
            for column in ("numerator", "denominator", "value", "lower", "upper"):
                assert _same(s[column], w[column]), (code, s, w)
            assert s["compared_with_rest"] == w["compared_with_rest"]
    gradients = _read(out / "practice_gradients.csv")
    for code in CODES:
        mine = [g for g in gradients if g["practice_code"] == code]
        stored = selectors.gradient_rows(runs[code])
        assert len(stored) == len(mine)
        for s, w in zip(stored, mine, strict=True):
            assert all(_same(s[k], w[k]) for k in ("sii", "sii_lower", "rii", "rii_upper"))

    # The practice's own patients only: its list size is its share, not the system's.
    overall = {
        code: IndicatorResult.objects.get(
            run=runs[code], indicator=written[0]["indicator"], grouping="overall"
        ).denominator
        for code in CODES
    }
    system = _read(out / "indicators.csv")[0]
    assert sum(overall.values()) == int(system["denominator"])
    created = AuditEvent.objects.filter(entity="hna_run", verb="created")
    assert created.count() == 3

    # What benchmarking shows of each practice's run was disclosed as it was stored, the
    # same as disclosure control applied to the stored rows afresh.
    from gpequity.hna.indicators import Indicator
    from gpequity.web.network import figures
    from gpequity.web.network.benchmarking import practice_figures
    from gpequity.web.network.models import DisclosedFigures

    for run in runs.values():
        kept = dict(DisclosedFigures.objects.filter(run=run).values_list("indicator", "figures"))
        assert sorted(kept) == sorted(d["id"] for d in run.definitions)
        rows = selectors.indicator_rows(run)
        for d in run.definitions:
            definition = Indicator.model_validate(d)
            fresh = figures.to_stored(practice_figures(definition, rows))
            # (as JSON with sorted keys: PostgreSQL keeps an object's keys in its own order)
            assert json.dumps(kept[d["id"]], sort_keys=True) == json.dumps(fresh, sort_keys=True)
    assert AuditEvent.objects.filter(entity="hna_system_run", organisation_id=icb.pk).count() == 1


def test_a_pcn_takes_only_its_own_practices_and_nothing_is_stored(system_extract, icb, tmp_path):
    out = tmp_path / "results"
    r = runner.invoke(
        app,
        [
            "hna",
            "run",
            str(system_extract),
            "--as-of",
            AS_OF.isoformat(),
            "--out",
            str(out),
            "--store",
            "U11111",
        ],
    )
    assert r.exit_code == 2, r.output
    assert "1 practice code that is not a practice of North PCN (U11111): Y90003" in r.output
    assert "Nothing was stored" in r.output
    assert not Run.objects.exists()
    assert not AuditEvent.objects.filter(entity__startswith="hna").exists()
    assert not out.exists()  # refused before any file was written


def test_unknown_codes_are_named_and_a_practice_or_plain_extract_is_refused(
    system_extract, icb, tmp_path
):
    Run.objects.all().delete()
    from gpequity.web.orgs.models import Organisation

    Organisation.objects.filter(ods_code=CODES[2]).delete()
    r = runner.invoke(
        app, ["hna", "run", str(system_extract), "--as-of", AS_OF.isoformat(), "--store", "QXX"]
    )
    assert r.exit_code == 2, r.output
    assert "Dale ICB (QXX): Y90003" in r.output
    assert not Run.objects.exists()

    r = runner.invoke(
        app,
        ["hna", "run", str(system_extract), "--as-of", AS_OF.isoformat(), "--store", CODES[0]],
    )
    assert r.exit_code == 2 and "--store takes the ODS code of a PCN or an ICB" in r.output

    plain = tmp_path / "plain"
    generate(300, seed=5, as_of=AS_OF, out=plain, appointments_per_patient=1.0)
    r = runner.invoke(
        app, ["hna", "run", str(plain), "--as-of", AS_OF.isoformat(), "--store", "QXX"]
    )
    assert r.exit_code == 2 and "--store needs a system extract" in r.output
    r = runner.invoke(app, ["hna", "run", str(plain), "--as-of", AS_OF.isoformat()])
    assert r.exit_code == 2 and "give --out" in r.output
    assert not Run.objects.exists()

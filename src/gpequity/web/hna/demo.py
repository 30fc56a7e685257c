"""Demo content of the HNA area: three assessments of the demo practice (12 months ago,
6 months ago and now) from synthetic extracts in which the planted gap in ethnicity
recording in the most deprived fifth narrows, with that finding put into the plan after the
first run so later runs feed its run chart (ADR 17)."""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from pathlib import Path

PATIENTS = 9_500
SEED = 2026
# Share of the blank ethnicity cells of the most deprived fifth filled in by each run: the
# practice's recording campaign at work.
FILLED = (0.0, 0.45, 0.8)
_CODES = ("A", "A", "H", "M", "J", "A", "N", "D", "K", "C")


def _months_ago(today: dt.date, months: int) -> dt.date:
    month = today.month - months
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return today.replace(year=year, month=month, day=min(today.day, 28))


def _extract(out: Path, as_of: dt.date, filled: float) -> Path:
    """A synthetic extract as of ``as_of`` with ``filled`` of the most deprived fifth's blank
    ethnicity recorded; returned as a zip, the way a practice would upload it."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from gpequity.synth import generate

    folder = out / as_of.isoformat()
    generate(PATIENTS, seed=SEED, as_of=as_of, out=folder)
    patients = pacsv.read_csv(
        folder / "patients.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={"ethnicity": pa.string(), "imd_decile": pa.string()}
        ),
    )
    ethnicity = patients.column("ethnicity").to_pylist()
    decile = patients.column("imd_decile").to_pylist()
    blank_q1 = [
        i
        for i, (e, d) in enumerate(zip(ethnicity, decile, strict=True))
        if not e and d in ("1", "2")
    ]
    for n, i in enumerate(blank_q1[: round(len(blank_q1) * filled)]):
        ethnicity[i] = _CODES[n % len(_CODES)]
    names = patients.column_names
    patients = patients.set_column(
        names.index("ethnicity"), "ethnicity", pa.array(ethnicity, pa.string())
    )
    pacsv.write_csv(patients, folder / "patients.csv")
    target = out / f"extract-{as_of.isoformat()}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("patients.csv", "appointments.csv"):
            zf.write(folder / name, name)
    return target


def hna_runs(info) -> None:
    """Running three health needs assessments over a year and planning from a finding ..."""
    from django.core.files import File

    from gpequity.findings import find
    from gpequity.web.orgs.models import Organisation
    from gpequity.web.plans.models import PlanItem

    from . import presenters, runs, selectors, services, uploads
    from .models import Run

    practice = Organisation.objects.get(ods_code=info.practice_ods)
    lead = practice.memberships.get(role="equity_lead").user
    today = dt.date.today()
    dates = (_months_ago(today, 12), _months_ago(today, 6), today)
    with tempfile.TemporaryDirectory(prefix="gpequity-demo-hna-") as tmp:
        for n, (as_of, filled) in enumerate(zip(dates, FILLED, strict=True)):
            path = _extract(Path(tmp), as_of, filled)
            with path.open("rb") as fh:
                folder, stored = uploads.store_uploaded({"extract": File(fh, name="extract.zip")})
            run = services.run_start(
                actor=lead,
                organisation=practice,
                folder=folder,
                stored=stored,
                as_of=as_of,
                enqueue=False,
            )
            # Charts are drawn when a page first shows them, not here: that keeps the demo quick.
            runs.run_body(str(run.pk), run.attempt, warm=False)
            run = Run.objects.get(pk=run.pk)
            if n == 0:
                _plan_from_first(run, lead, find, presenters, selectors, services, PlanItem)


def _plan_from_first(run, lead, find, presenters, selectors, services, PlanItem) -> None:
    """Put the ethnicity-recording finding for the most deprived fifth into the plan."""
    rows = selectors.indicator_rows(run)
    findings = find(rows, definitions=presenters.definitions(run), pack=run.organisation.framework)
    taken = set(
        PlanItem.objects.filter(organisation=run.organisation).values_list("action_key", flat=True)
    )
    finding = next(
        (
            f
            for f in findings
            if f.indicator == "ethnicity_recorded"
            and (f.grouping, f.group) == ("imd_quintile", "Q1")
        ),
        None,
    ) or next(f for f in findings if f.indicator == "ethnicity_recorded")
    action = next(a for a in finding.actions if a.key not in taken)
    item, _ = services.finding_to_plan(
        actor=lead,
        run=run,
        action_key=action.key,
        indicator=finding.indicator,
        grouping=finding.grouping,
        group=finding.group,
        measure_text=f"{finding.indicator_title}: {finding.group_label}",
    )
    from gpequity.web.plans import services as plan_services

    plan_services.plan_item_update(
        actor=lead,
        item=item,
        expected_version=item.version,
        changes={
            "objective": "Close the gap in ethnicity recording for patients in the most "
            "deprived fifth: ask at every contact and at registration.",
            "status": "in_progress",
            "start_date": run.as_of,
        },
    )

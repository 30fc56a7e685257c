"""HNA runs in each state for tests that need many worlds (the authz matrix): a finished run
stored from one engine result computed once per process, an invalid run and a failed run
each keeping its upload, all without running the engine per world."""

from __future__ import annotations

import datetime as dt
from functools import cache

from gpequity.web.hna import runs, uploads
from gpequity.web.hna.models import ReportPdf, Run

from .extracts import AS_OF, broken_patients, extract_zip, folder, zipped

FOCUS = {"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]}


@cache
def _result():
    from gpequity import hna

    return hna.run(folder(), as_of=AS_OF, focus=FOCUS)


def _kept(data: bytes) -> str:
    name, path = uploads.new_folder()
    (path / "extract.zip").write_bytes(data)
    return f"{name}/extract.zip"


def hna_world(practice, lead) -> dict[str, str]:
    done = Run.objects.create(
        organisation=practice,
        as_of=AS_OF,
        status="running",
        created_by=lead,
        focus_criteria=FOCUS,
        upload_names="extract.zip",
        fingerprint="0" * 64,
    )
    runs._store(done, 1, _result())
    invalid = Run.objects.create(
        organisation=practice,
        as_of=AS_OF,
        status="invalid",
        created_by=lead,
        upload_names="extract.zip",
        upload_folder=_kept(zipped({"patients.csv": broken_patients({4: {"sex": "robot"}})})),
        droppable_rows={"patients.csv": 1},
        message="The extract has 1 problem",
        validation={"issues": [], "groups": []},
        finished_at=None,
    )
    failed = Run.objects.create(
        organisation=practice,
        as_of=AS_OF - dt.timedelta(days=30),
        status="failed",
        created_by=lead,
        upload_names="extract.zip",
        upload_folder=_kept(extract_zip()),
        message=runs.DIED_MESSAGE,
    )
    pdf = ReportPdf.objects.create(
        run=done, requested_by=lead, status="done", pdf=b"%PDF-1.7\n%%EOF\n", size=14
    )
    return {
        "done": str(done.pk),
        "invalid": str(invalid.pk),
        "failed": str(failed.pk),
        "pdf": str(pdf.pk),
    }


def first_finding(run_id: str) -> dict[str, str]:
    """The Add to plan payload of the finished run's first finding and action."""
    from gpequity.findings import find

    result = _result()
    f = next(f for f in find(result.indicator_rows, definitions=result.definitions) if f.actions)
    return {
        "action_key": f.actions[0].key,
        "indicator": f.indicator,
        "grouping": f.grouping,
        "group": f.group,
        "measure_text": "",
    }

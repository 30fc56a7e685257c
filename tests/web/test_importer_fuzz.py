"""Fuzz every importer with Hypothesis (issue 22): the practice workbook, the toolkit import,
the ORUK directory feed, the HNA extract, Focus criteria and indicator definition files.

Whatever arrives, each importer either accepts it or refuses it with its own error type and a
message that says what is wrong; nothing crashes, and a refused import writes nothing (every
table's row count is compared). Example counts are kept small (``GPEQUITY_FUZZ_EXAMPLES``,
default 15 per test) so the suite stays quick; raise it for a longer hunt.
"""

from __future__ import annotations

import io
import json
import os
import string
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpequity.catalogue import DEFAULT_PACK, load_pack
from gpequity.catalogue.importer import read_official
from gpequity.hna.criteria import CriteriaError, parse_criteria
from gpequity.hna.indicators import IndicatorError, parse_text
from gpequity.hna.validate import ExtractError, validate_extract
from gpequity.oruk.feeds import FeedError, services_from_json
from gpequity.web.catalogue.services import import_official_text
from gpequity.web.directory import services as directory
from gpequity.web.reports import services as reports
from gpequity.web.reports import xlsx

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("GPEQUITY_FUZZ_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
# What a person can type into a spreadsheet cell: openpyxl (like Excel) cannot store the C0
# control characters other than tab, newline and carriage return, nor lone surrogates.
TYPABLE = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters=[chr(c) for c in range(32) if chr(c) not in "\t\n\r"],
)
CELL = (
    st.none()
    | st.text(TYPABLE, max_size=40)
    | st.sampled_from(["=1+1", '=HYPERLINK("x")', "'", "In place", "in_place", "2024-13-40"])
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=True, allow_infinity=False)
    | st.dates()
)


def _rows() -> dict[str, int]:
    """Every table's row count: a refused import must leave all of them alone."""
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.managed}


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            zf.writestr(name or "x", data)
    return buf.getvalue()


ZIPS = st.lists(
    st.tuples(
        st.sampled_from(["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml",
                         "xl/sharedStrings.xml", "../evil.txt", "patients.csv"]),
        st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    ),
    max_size=4,
    unique_by=lambda member: member[0],
).map(_zip)  # fmt: skip


# --------------------------------------------------------------------------- workbook


@pytest.fixture
def practice():
    from tests.web.reports.factories import filled_practice, save_focus

    org, lead, helper, _ = filled_practice()
    save_focus(org, lead)
    return org, lead, xlsx.export_workbook(org)


def _refused_workbook_writes_nothing(org, lead, data: bytes) -> None:
    before = _rows()
    preview = reports.preview_import(org, data, actor=lead, name="fuzzed.xlsx")
    if preview.ok:
        return
    assert all(str(e).strip() for e in preview.errors)
    with pytest.raises(reports.ImportFailed) as refused:
        reports.apply_import(actor=lead, organisation=org, data=data, name="fuzzed.xlsx")
    assert str(refused.value)
    assert _rows() == before


@FUZZ
@given(data=st.binary(max_size=2000) | ZIPS)
def test_workbook_any_bytes_are_refused_clearly(practice, data):
    org, lead, _ = practice
    preview = reports.preview_import(org, data, actor=lead, name="fuzzed.xlsx")
    assert (
        not preview.ok
        and "fuzzed.xlsx" in " ".join(str(e) for e in preview.errors)
        or (preview.errors and all(str(e).strip() for e in preview.errors))
    )
    _refused_workbook_writes_nothing(org, lead, data)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 5), st.integers(1, 40), st.integers(1, 20), CELL),
                      min_size=1, max_size=4))  # fmt: skip
def test_workbook_with_fuzzed_cells_is_applied_or_refused_whole(practice, edits):
    import openpyxl

    org, lead, exported = practice
    wb = openpyxl.load_workbook(io.BytesIO(exported))
    for sheet, row, column, value in edits:
        ws = wb.worksheets[sheet % len(wb.worksheets)]
        ws.cell(row=row, column=column, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    preview = reports.preview_import(org, data, actor=lead, name="fuzzed.xlsx")
    if preview.ok:
        before = _rows()
        try:
            reports.apply_import(actor=lead, organisation=org, data=data, name="fuzzed.xlsx")
        except reports.ImportFailed:
            assert _rows() == before
        return
    _refused_workbook_writes_nothing(org, lead, data)


# --------------------------------------------------------------------------- toolkit


@FUZZ
@given(
    data=st.binary(max_size=1500) | ZIPS | st.text(max_size=600).map(str.encode),
    suffix=st.sampled_from([".xlsx", ".csv"]),
)
def test_toolkit_import_refuses_with_its_own_issues_and_writes_nothing(data, suffix):
    pack = load_pack(DEFAULT_PACK)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        result = read_official(path, pack, source_name=f"toolkit{suffix}")
    if result.ok and result.entries:
        return
    assert all(str(e).strip() for e in result.errors) or not result.entries
    before = _rows()
    with pytest.raises(ValidationError) as refused:
        import_official_text(result=result, pack_id=DEFAULT_PACK)
    assert f"toolkit{suffix}" in " ".join(refused.value.messages)
    assert _rows() == before


# --------------------------------------------------------------------------- ORUK feed


@pytest.fixture
def directory_owner():
    from gpequity.web.orgs.models import Role
    from tests.factories import PracticeFactory, member

    org = PracticeFactory()
    return org, member(org, Role.EQUITY_LEAD)


SERVICE = st.fixed_dictionaries(
    {"id": st.text(max_size=40), "name": st.text(max_size=30)},
    optional={
        "description": st.text(max_size=40),
        "url": st.text(max_size=30),
        "email": st.text(max_size=30),
        "status": st.text(max_size=10),
        "contacts": JSON,
        "service_at_locations": JSON,
        "taxonomy_terms": JSON,
    },
)


@FUZZ
@given(doc=JSON | st.lists(SERVICE, max_size=3) | st.binary(max_size=300))
def test_oruk_feed_is_read_or_refused_and_a_bad_one_writes_nothing(directory_owner, doc):
    org, lead = directory_owner
    raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    try:
        docs = services_from_json(raw, where="feed.json")
    except FeedError as exc:
        assert "feed.json" in str(exc)
        return
    plan = directory.preview_feed(owner=org, docs=docs)
    before = _rows()
    if plan.ok:
        directory.import_feed(actor=lead, owner=org, docs=docs, source="feed.json", dry_run=True)
        assert _rows() == before
        return
    assert all(p.message for p in plan.problems)
    with pytest.raises(directory.FeedRefused):
        directory.import_feed(actor=lead, owner=org, docs=docs, source="feed.json")
    assert _rows() == before


# --------------------------------------------------------------------------- HNA extract

HEADER = "patient_id,age,sex,ethnicity,imd_decile,homeless,smoker,last_bp_date\n"
CSV_CELL = st.text(alphabet=string.printable + "é£\x00\ufeff", max_size=12)


@FUZZ
@given(
    rows=st.lists(st.lists(CSV_CELL, min_size=0, max_size=10), max_size=6),
    header=st.sampled_from([HEADER, "", "patient_id\n", HEADER.upper()]),
    zipped=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-16", "latin-1"]),
)
def test_hna_extract_is_validated_into_a_report_never_a_crash(rows, header, zipped, encoding):
    text = header + "".join(",".join(r) + "\n" for r in rows)
    data = text.encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as tmp:
        if zipped:
            path = Path(tmp) / "extract.zip"
            path.write_bytes(_zip([("patients.csv", data)]))
        else:
            path = Path(tmp) / "extract"
            path.mkdir()
            (path / "patients.csv").write_bytes(data)
        try:
            report = validate_extract(path)
        except ExtractError as exc:  # the importer's own error, with its report
            report = exc.report
    if not report.ok:
        assert report.errors and all(i.message for i in report.errors)
        assert "P" not in "".join(
            str(i.value or "") for i in report.errors if i.column == "patient_id"
        )


# --------------------------------------------------------------------------- Focus criteria


@FUZZ
@given(obj=JSON | st.text(max_size=80))
def test_focus_criteria_are_parsed_or_refused_with_criteria_error(obj):
    try:
        parse_criteria(obj)
    except CriteriaError as exc:
        assert str(exc).strip()


@FUZZ
@given(
    conditions=st.lists(
        st.dictionaries(
            st.sampled_from(["column", "op", "value", "eq", "in", "age", "imd_decile", "sex"]),
            JSON,
            max_size=3,
        ),
        max_size=3,
    ),
    key=st.sampled_from(["any", "all", "none"]),
)
def test_focus_criteria_shaped_like_the_real_thing_never_crash(conditions, key):
    try:
        parse_criteria({key: conditions})
    except CriteriaError as exc:
        assert str(exc).strip()


# --------------------------------------------------------------------------- indicators

INDICATOR_FIELDS = st.dictionaries(
    st.sampled_from(["id", "name", "numerator", "denominator", "theme", "unit", "higher_is",
                     "description", "source", "per"]),
    JSON,
    max_size=6,
)  # fmt: skip


@FUZZ
@given(
    doc=st.text(max_size=200)
    | st.lists(INDICATOR_FIELDS, max_size=3).map(json.dumps)
    | st.fixed_dictionaries({"indicators": st.lists(INDICATOR_FIELDS, max_size=3)}).map(json.dumps)
)
def test_indicator_files_are_parsed_or_refused_with_indicator_error(doc):
    try:
        parse_text(doc, source="mine.yaml")
    except IndicatorError as exc:
        assert str(exc).startswith("mine.yaml")

"""Finding 4 of issue 22: a workbook that unpacks too far, expands XML entities, uses an
undefined entity, lies about a part's size or is encrypted gets a clear message (web upload,
preview, `gpequity org import`, toolkit import), quickly, and nothing changes."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse
from typer.testing import CliRunner

from gpequity.catalogue.importer import read_official
from gpequity.cli.main import app
from gpequity.web.assessment.models import AssessmentEntry
from gpequity.web.reports import services, xlsx

from .factories import filled_practice

pytestmark = pytest.mark.django_db
runner = CliRunner()

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _pack(parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _first_sheet(parts: dict[str, bytes]) -> str:
    return "xl/worksheets/sheet1.xml"


def entity_bomb(data: bytes) -> bytes:
    """A billion-laughs workbook: one cell refers to an entity that would expand to 1 GB."""
    parts = _parts(data)
    name = _first_sheet(parts)
    sheet = parts[name].split(b"?>", 1)[-1] if parts[name].startswith(b"<?xml") else parts[name]
    sheet = sheet.replace(b"<worksheet", LAUGHS + b"<worksheet", 1)
    parts[name] = sheet.replace(
        b"</sheetData>",
        b"<row r='9999'><c r='A9999' t='inlineStr'><is><t>&lol9;</t></is></c></row></sheetData>",
        1,
    )
    return _pack(parts)


def undefined_entity(data: bytes) -> bytes:
    parts = _parts(data)
    name = _first_sheet(parts)
    parts[name] = parts[name].replace(
        b"</sheetData>",
        b"<row r='9999'><c r='A9999' t='inlineStr'><is><t>&nope;</t></is></c></row></sheetData>",
        1,
    )
    return _pack(parts)


def xml_bomb(data: bytes) -> bytes:
    """A workbook whose first sheet unpacks to 60 MB of XML (a few hundred KB packed)."""
    parts = _parts(data)
    name = _first_sheet(parts)
    parts[name] = parts[name].replace(b"</sheetData>", b"<row/>" * 10_000_000 + b"</sheetData>")
    return _pack(parts)


def lying_part(data: bytes) -> bytes:
    """The first sheet's headers say 200 bytes; its data inflates to far more."""
    packed = bytearray(_pack(_parts(data)))
    name = _first_sheet(_parts(data)).encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = packed.find(signature)
        while at >= 0:
            name_len = int.from_bytes(
                packed[at + (26 if signature == b"PK\x03\x04" else 28) :][:2], "little"
            )
            start = at + (30 if signature == b"PK\x03\x04" else 46)
            if bytes(packed[start : start + name_len]) == name:
                packed[at + size_at : at + size_at + 4] = (200).to_bytes(4, "little")
            at = packed.find(signature, at + 4)
    return bytes(packed)


CASES = {
    "entity_bomb": (entity_bomb, "declares XML entities"),
    "undefined_entity": (undefined_entity, "XML entity that is not defined"),
    "xml_bomb": (xml_bomb, "zip bomb"),
    "lying_part": (lying_part, "does not match the size it declares"),
    "ole": (lambda data: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password-protected"),
}


@pytest.fixture
def filled():
    return filled_practice()


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_harmful_workbook_gets_a_clear_message(filled, case):
    org, lead, *_ = filled
    make, message = CASES[case]
    data = make(xlsx.export_workbook(org))
    before = list(AssessmentEntry.objects.values_list("action_key", "status", "notes"))
    # Refused by the caps before anything is unpacked or parsed: the message says which cap.
    preview = services.preview_import(org, data, actor=lead, name="edited.xlsx")
    assert not preview.ok
    (issue,) = preview.errors
    assert message in issue.message and issue.sheet == "edited.xlsx"
    with pytest.raises(services.ImportFailed):
        services.apply_import(actor=lead, organisation=org, data=data)
    assert list(AssessmentEntry.objects.values_list("action_key", "status", "notes")) == before


@pytest.mark.parametrize("case", ["entity_bomb", "undefined_entity", "lying_part"])
def test_org_import_says_what_is_wrong_without_a_traceback(filled, tmp_path, case):
    org, *_ = filled
    make, message = CASES[case]
    path = tmp_path / "edited.xlsx"
    path.write_bytes(make(xlsx.export_workbook(org)))
    result = runner.invoke(app, ["org", "import", org.ods_code, str(path)])
    assert result.exit_code == 1, result.output
    assert message in result.output and "Nothing was imported" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_the_upload_page_answers_400_not_500(filled, client):
    org, lead, *_ = filled
    client.force_login(lead)
    data = entity_bomb(xlsx.export_workbook(org))
    upload = io.BytesIO(data)
    upload.name = "edited.xlsx"
    response = client.post(
        reverse("reports:import", kwargs={"ods_code": org.ods_code}), {"workbook": upload}
    )
    assert response.status_code == 400
    assert "declares XML entities" in response.content.decode()


def test_toolkit_import_refuses_entity_bombs_and_lying_parts(tmp_path):
    import openpyxl

    from tests.catalogue.conftest import make_mini_pack

    wb = openpyxl.Workbook()
    wb.active.append(["Theme", "Code", "Descriptor"])
    buf = io.BytesIO()
    wb.save(buf)
    for case in ("entity_bomb", "undefined_entity", "lying_part"):
        make, message = CASES[case]
        path = tmp_path / f"{case}.xlsx"
        path.write_bytes(make(buf.getvalue()))
        result = read_official(path, make_mini_pack())
        text = " ".join(str(e) for e in result.errors)
        assert result.errors and result.entries == {}
        assert message in text or (case == "lying_part" and "corrupt" in text), text

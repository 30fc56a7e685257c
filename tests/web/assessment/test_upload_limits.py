"""Issue 22: evidence that is an Office file is checked as the zip it is (bombs, encryption)
before it is stored (finding 4), and long file names are shortened, not refused (finding 7)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from gpequity.web.assessment import services
from gpequity.web.assessment.models import Evidence
from tests.web.assessment.conftest import stored_files
from tests.web.assessment.factories import ooxml, upload

pytestmark = pytest.mark.django_db


def _add(org, user, name, content):
    return services.evidence_add(
        actor=user, organisation=org, action_key="acc_01", kind="file", upload=upload(name, content)
    )


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 20_000_000)  # 120 MB
    return buf.getvalue()


def _encrypted() -> bytes:
    data = bytearray(ooxml("xl/"))
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            data[at + flag_at] |= 0x1
            at = data.find(signature, at + 4)
    return bytes(data)


@pytest.mark.parametrize(
    ("content", "message"),
    [(_bomb, "zip bomb"), (_encrypted, "is password-protected")],
)
def test_a_harmful_office_file_is_refused_by_name(
    practice, teammate, private_media, content, message
):
    with pytest.raises(ValidationError) as info:
        _add(practice, teammate, "audit.xlsx", content())
    text = " ".join(info.value.messages)
    assert message in text and "audit.xlsx" in text
    assert not Evidence.objects.exists() and stored_files(private_media) == []


def test_a_long_file_name_is_shortened_keeping_its_type(practice, teammate, private_media):
    name = "Minutes of the partners meeting about the practice health inequalities work " * 4
    name = name.strip() + ".pdf"
    assert len(name) > 200
    ev = _add(practice, teammate, name, b"%PDF-1.7\n%%EOF\n")
    assert len(ev.original_name) == 200
    assert ev.original_name.endswith(".pdf") and name.startswith(ev.original_name[:-4])
    assert ev.content_type == "application/pdf"

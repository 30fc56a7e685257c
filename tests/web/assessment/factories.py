"""Factories and small file builders for the assessment tests."""

from __future__ import annotations

import io
import zipfile

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from gpequity.web.assessment.models import AssessmentEntry, Snapshot
from tests.factories import PracticeFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class AssessmentEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssessmentEntry

    organisation = factory.SubFactory(PracticeFactory)
    action_key = "acc_01"
    status = "not_started"


class SnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Snapshot

    organisation = factory.SubFactory(PracticeFactory)
    name = factory.Sequence(lambda n: f"Snapshot {n}")
    data = factory.LazyFunction(dict)


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def ooxml(folder: str) -> bytes:
    """A minimal Office Open XML package: a zip with content types and the main folder."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(f"{folder}document.xml", "<doc/>")
    return buf.getvalue()

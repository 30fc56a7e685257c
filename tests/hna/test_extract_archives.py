"""Finding 6 of issue 22: extract zips are checked before they are unpacked (a cap on the
unpacked size, configurable; no escaping names or links), and a symbolic link in an extract
folder is refused without being followed (nothing of its target is echoed)."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpequity.archives import MIB, Limits
from gpequity.cli.main import app
from gpequity.hna.extract import load_extract, patient_columns_at_a_glance
from gpequity.hna.validate import ExtractError, validate_extract

runner = CliRunner()
PATIENTS = "patient_id,age,sex\np1,40,female\np2,71,male\n"


def _zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _errors(report):
    return [(i.file, i.kind) for i in report.errors]


def test_a_zip_bomb_is_refused_without_unpacking(tmp_path, monkeypatch):
    archive = _zip(tmp_path / "extract.zip", {"patients.csv": PATIENTS + "\0" * (60 * MIB)})
    assert archive.stat().st_size < 200_000
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    report = validate_extract(archive)
    assert _errors(report) == [("extract.zip", "unsafe_zip")]
    assert "zip bomb" in report.errors[0].message
    assert not any(p.is_file() for p in scratch.rglob("*"))  # nothing was written to /tmp


def test_the_unpacked_size_cap_is_configurable(tmp_path, monkeypatch):
    rows = "".join(f"p{i},{i % 90},female\n" for i in range(120_000))  # about 2 MB
    archive = _zip(tmp_path / "extract.zip", {"export/patients.csv": "patient_id,age,sex\n" + rows})
    assert validate_extract(archive).ok
    small = validate_extract(archive, limits=Limits(max_total=MIB))
    assert _errors(small) == [("extract.zip", "unsafe_zip")]
    assert small.errors[0].message == "extract.zip unpacks to more than 1 MB, the limit"
    with pytest.raises(ExtractError):
        load_extract(archive, limits=Limits(max_total=MIB))
    monkeypatch.setenv("GPEQUITY_MAX_UNZIPPED_BYTES", "1MB")
    assert not validate_extract(archive).ok
    result = runner.invoke(app, ["hna", "validate", str(archive)])
    assert result.exit_code == 1 and "more than 1 MB" in result.output
    result = runner.invoke(app, ["hna", "validate", str(archive), "--max-unzipped", "3MB"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    args = ["hna", "run", str(archive), "--as-of", "2024-03-31", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "more than 1 MB" in result.output
    assert "Traceback" not in result.output and not out.exists()
    result = runner.invoke(app, [*args, "--max-unzipped", "lots"])
    assert result.exit_code == 2 and "500MB" in result.output


@pytest.mark.parametrize("name", ["../patients.csv", "/tmp/patients.csv"])
def test_a_member_escaping_the_folder_is_refused(tmp_path, name):
    archive = _zip(tmp_path / "extract.zip", {name: PATIENTS})
    report = validate_extract(archive)
    assert _errors(report) == [("extract.zip", "unsafe_zip")]
    assert "points outside its folder" in report.errors[0].message
    assert not (tmp_path / "patients.csv").exists()


def test_a_link_member_is_refused(tmp_path):
    archive = tmp_path / "extract.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("patients.csv")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    report = validate_extract(archive)
    assert _errors(report) == [("extract.zip", "unsafe_zip")]
    assert "symbolic link" in report.errors[0].message


def test_a_member_lying_about_its_size_is_a_clear_error(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("patients.csv", PATIENTS + "p9,50,male\n" * 200_000)
    data = bytearray(buf.getvalue())
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature) + size_at
        data[at : at + 4] = (2000).to_bytes(4, "little")
    archive = tmp_path / "extract.zip"
    archive.write_bytes(bytes(data))
    report = validate_extract(archive)
    assert _errors(report) == [("extract.zip", "bad_zip")]
    assert "does not match the size it declares" in report.errors[0].message


def _secret(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:SECRET-VALUE:/root:/bin/bash\nmore,SECRET-TWO\n")
    return secret


def test_a_symlink_in_an_extract_folder_is_not_followed(tmp_path):
    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "patients.csv").symlink_to(_secret(tmp_path))
    report = validate_extract(folder)
    assert _errors(report) == [("patients.csv", "link")]
    assert "symbolic link" in report.summary()
    assert "SECRET" not in report.summary() and "SECRET" not in report.to_json()
    assert patient_columns_at_a_glance(folder) is None
    result = runner.invoke(app, ["hna", "validate", str(folder)])
    assert result.exit_code == 1 and "SECRET" not in result.output


def test_a_symlinked_appointments_file_is_refused_too(tmp_path):
    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "patients.csv").write_text(PATIENTS)
    (folder / "appointments.csv").symlink_to(_secret(tmp_path))
    report = validate_extract(folder)
    assert _errors(report) == [("appointments.csv", "link")]
    assert "SECRET" not in report.summary()

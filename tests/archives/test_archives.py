"""gpequity.archives: untrusted zips and workbooks are refused from their central directory
(bombs, too many files, encryption, escaping names, links) and while being read (members
that lie about their size). Every archive here is made in the test."""

from __future__ import annotations

import io
import shutil
import stat
import subprocess
import zipfile

import pytest

from gpequity.archives import (
    MIB,
    ArchiveError,
    Limits,
    SafeZip,
    check_archive,
    default_limits,
    parse_size,
    safe_name,
)


def zip_bytes(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def bomb(size: int = 40 * MIB) -> bytes:
    """A real zip bomb in miniature: ``size`` bytes of zeros deflate about a thousandfold."""
    return zip_bytes({"patients.csv": b"\0" * size})


def test_a_zip_bomb_is_refused_before_anything_is_unpacked():
    data = bomb()
    assert len(data) < 100_000  # 40 MB in under 100 KB
    with pytest.raises(ArchiveError) as caught:
        check_archive(data, limits=Limits(), label="extract.zip")
    assert caught.value.kind == "ratio"
    assert "zip bomb" in str(caught.value) and "patients.csv" in str(caught.value)


def test_the_total_unpacked_size_is_capped():
    ordinary = zip_bytes({f"part{i}.csv": bytes(range(256)) * 4096 for i in range(3)})  # 3 MB
    check_archive(ordinary, limits=Limits(max_total=4 * MIB), label="a.zip")
    with pytest.raises(ArchiveError) as caught:
        check_archive(ordinary, limits=Limits(max_total=2 * MIB), label="a.zip")
    assert caught.value.kind == "too_big"
    assert str(caught.value) == "a.zip unpacks to more than 2 MB, the limit"


def test_too_many_members_are_refused():
    data = zip_bytes({f"f{i}.txt": b"x" for i in range(30)})
    with pytest.raises(ArchiveError, match="holds 30 files; at most 20 are allowed"):
        check_archive(data, limits=Limits(max_members=20), label="a.zip")


def _set_flag(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = out.find(signature)
        while start >= 0:
            out[start + flag_at] |= bit
            start = out.find(signature, start + 4)
    return bytes(out)


def test_an_encrypted_member_is_named_password_protected():
    data = _set_flag(zip_bytes({"data/patients.csv": b"patient_id\n"}), 0x1)
    with pytest.raises(ArchiveError) as caught:
        check_archive(data, limits=Limits(), label="export.zip")
    assert caught.value.kind == "encrypted"
    assert "data/patients.csv is password-protected in export.zip" in str(caught.value)


@pytest.mark.skipif(shutil.which("zip") is None, reason="Info-ZIP's zip is not installed")
def test_a_zip_made_with_a_password_by_the_zip_tool_is_refused(tmp_path):
    (tmp_path / "patients.csv").write_text("patient_id,age,sex\np1,40,female\n")
    subprocess.run(
        ["zip", "-q", "-P", "secret", "locked.zip", "patients.csv"], cwd=tmp_path, check=True
    )
    with pytest.raises(ArchiveError, match="password-protected"):
        check_archive(tmp_path / "locked.zip", limits=Limits(), label="locked.zip")


@pytest.mark.parametrize(
    "name", ["../patients.csv", "a/../../etc/cron.d/x", "/etc/passwd", "C:/Windows/x", "..\\x"]
)
def test_a_member_that_escapes_its_folder_is_refused(name):
    data = zip_bytes({name: b"x"})
    with pytest.raises(ArchiveError) as caught:
        check_archive(data, limits=Limits(), label="a.zip")
    assert caught.value.kind == "unsafe_name"
    assert "points outside its folder" in str(caught.value)


def test_safe_names_stay_inside():
    assert safe_name("export/./patients.csv") == "export/patients.csv"
    assert safe_name("a\\b.csv") == "a/b.csv"
    assert safe_name("..") is None and safe_name("") is None


def _with_link(name: str, target: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(name)
        info.create_system = 3  # Unix
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, target)
    return buf.getvalue()


def test_a_symbolic_link_member_is_refused():
    data = _with_link("patients.csv", b"/etc/passwd")
    with pytest.raises(ArchiveError) as caught:
        check_archive(data, limits=Limits(), label="a.zip")
    assert caught.value.kind == "link"
    assert "symbolic link" in str(caught.value)


def lying(declared: int = 1000, real: int = 3 * MIB) -> bytes:
    """A member whose headers claim ``declared`` bytes while its data inflates to ``real``."""
    data = bytearray(zip_bytes({"patients.csv": b"a,b\n" * (real // 4)}))
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature) + size_at
        data[at : at + 4] = declared.to_bytes(4, "little")
    return bytes(data)


def test_a_member_that_lies_about_its_size_stops_at_the_declared_size():
    data = lying()
    with SafeZip(data, limits=Limits(), label="a.zip") as z:  # the directory looks harmless
        with pytest.raises(ArchiveError) as caught:
            z.read(z.members[0])
    assert caught.value.kind == "damaged"
    assert "does not match the size it declares" in str(caught.value)


def test_extract_counts_real_bytes_against_the_total(tmp_path):
    """The running count of bytes really unpacked holds the cap across members."""
    data = zip_bytes({"a.csv": b"x" * (MIB // 2), "b.csv": b"y" * (MIB // 2)})
    limits = Limits(max_total=MIB)
    with SafeZip(data, limits=limits, label="a.zip") as z:
        z._read_total = MIB // 2  # as if another member had already been unpacked
        z.extract(z.members[0], tmp_path)
        with pytest.raises(ArchiveError, match="unpacks to more than 1 MB"):
            z.extract(z.members[1], tmp_path)


def test_not_a_zip_and_a_truncated_zip_are_clear():
    with pytest.raises(ArchiveError, match="damaged or not a zip file"):
        check_archive(b"hello", limits=Limits(), label="a.zip")
    with pytest.raises(ArchiveError, match="damaged or not a zip file"):
        check_archive(zip_bytes({"a": b"x" * 100})[:-30], limits=Limits(), label="a.zip")


def test_the_default_cap_is_4_gb_and_the_environment_can_change_it():
    assert default_limits({}).max_total == 4 << 30
    assert default_limits({"GPEQUITY_MAX_UNZIPPED_BYTES": "500MB"}).max_total == 500 * MIB
    assert default_limits({"GPEQUITY_MAX_UNZIPPED_BYTES": "1048576"}).max_total == MIB
    with pytest.raises(ArchiveError, match="not a size"):
        default_limits({"GPEQUITY_MAX_UNZIPPED_BYTES": "lots"})
    assert parse_size("8 GB") == 8 << 30
    for bad in ("0", "-1MB", "nan", "inf"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_a_file_object_is_left_where_it_was():
    f = io.BytesIO(zip_bytes({"xl/workbook.xml": b"<x/>"}))
    f.seek(3)
    check_archive(f, limits=Limits(), label="a.xlsx")
    assert f.tell() == 3 and not f.closed

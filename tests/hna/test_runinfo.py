"""DATA.md "Results over time": what each run records, and that runs repeat exactly."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from datetime import date

from typer.testing import CliRunner

import gpequity
from gpequity.cli.main import app
from gpequity.hna import run
from gpequity.hna.extract import load_extract
from gpequity.hna.runinfo import RunInfo, canonical_json, extract_fingerprint

FOCUS = {"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]}


def test_two_runs_of_the_same_extract_and_inputs_repeat_exactly(synth_extract, tmp_path):
    folder = synth_extract(800, seed=3)
    first = run(folder, as_of="2025-03-31", focus=FOCUS)
    second = run(folder, as_of="2025-03-31", focus=json.dumps(FOCUS))
    assert first.indicator_rows == second.indicator_rows
    assert first.gradient_rows == second.gradient_rows
    assert first.run_info == second.run_info
    assert first.run_info.to_json() == second.run_info.to_json()
    a, b = first.write(tmp_path / "a"), second.write(tmp_path / "b")
    for name in ("indicators.csv", "gradients.csv", "indicators.json", "run.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_the_record_names_what_the_run_used(synth_extract, tmp_path):
    folder = synth_extract(800, seed=3)
    result = run(folder, as_of="2025-03-31", focus=FOCUS)
    info = result.run_info
    assert info.as_of == date(2025, 3, 31)
    assert info.focus == FOCUS
    assert [d["id"] for d in info.indicators] == [d.id for d in result.definitions]
    bowel = next(d for d in info.indicators if d["id"] == "bowel_screening")
    assert bowel["higher_is_better"] is True and bowel["kind"] == "proportion"
    assert info.gpequity_version == gpequity.__version__
    # The fingerprint is SHA-256 of the data files, each as name, size and bytes.
    h = hashlib.sha256()
    for name in ("patients.csv", "appointments.csv"):
        data = (folder / name).read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode() + data)
    assert info.extract_fingerprint == h.hexdigest()
    # Written beside the tables, and read back into the same record.
    out = result.write(tmp_path / "out")
    written = json.loads((out / "run.json").read_text())
    assert written["as_of"] == "2025-03-31" and written["focus"] == FOCUS
    assert (
        written["indicators_fingerprint"]
        == hashlib.sha256(canonical_json(info.indicators).encode()).hexdigest()
    )
    assert RunInfo.from_dict(written) == info


def test_a_changed_file_changes_the_fingerprint_and_zipping_does_not(synth_extract, tmp_path):
    original = synth_extract(300, seed=5)
    folder = tmp_path / "copy"
    shutil.copytree(original, folder)
    (folder / "notes.txt").write_text("not part of the extract")
    before = extract_fingerprint(folder)
    assert before == extract_fingerprint(original)  # other files are not part of it
    # A zip of the same files, in a subfolder and compressed, has the same fingerprint.
    archive = tmp_path / "extract.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in ("appointments.csv", "patients.csv"):
            zf.write(folder / name, f"export/{name}")
        zf.writestr("README.txt", "hello")
    assert extract_fingerprint(archive) == before
    # One character changed in appointments.csv changes it.
    text = (folder / "appointments.csv").read_text()
    (folder / "appointments.csv").write_text(text.replace("attended", "dna", 1))
    assert extract_fingerprint(folder) != before
    # So does leaving appointments.csv out.
    (folder / "appointments.csv").unlink()
    assert extract_fingerprint(folder) not in (before, extract_fingerprint(original))


def test_an_extract_given_already_loaded_has_no_fingerprint(synth_extract):
    folder = synth_extract(300, seed=5)
    with load_extract(folder) as loaded:
        result = run(loaded, as_of="2025-03-31")
    assert result.run_info.extract_fingerprint is None
    assert result.run_info.focus is None


def test_the_cli_writes_run_json_and_the_tables_stay_as_they_were(synth_extract, tmp_path):
    folder = synth_extract(300, seed=5)
    out = tmp_path / "out"
    args = ["hna", "run", str(folder), "--as-of", "2025-03-31", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    same = run(folder, as_of="2025-03-31")
    direct = same.write(tmp_path / "direct")
    for name in ("indicators.csv", "gradients.csv", "indicators.json", "gradients.json"):
        assert (out / name).read_bytes() == (direct / name).read_bytes()
    recorded = json.loads((out / "run.json").read_text())
    assert recorded["extract_fingerprint"] == extract_fingerprint(folder)
    assert "run.json" in result.stdout


def test_a_stored_run_gives_the_same_findings(synth_extract, tmp_path):
    # What the web app keeps (the indicators table and run.json) is enough for the findings.
    from gpequity.findings import find

    folder = synth_extract(800, seed=3)
    result = run(folder, as_of="2025-03-31", focus=FOCUS)
    out = result.write(tmp_path / "out")
    rows = json.loads((out / "indicators.json").read_text())
    stored = json.loads((out / "run.json").read_text())
    again = find(rows, definitions=stored["indicators"])
    assert again == result.findings() and len(again) > 0

"""Fixtures for the catalogue importer, export and CLI tests.

Spreadsheets are generated here with openpyxl rather than committed as binaries, and every
piece of descriptive text in them is invented for the tests.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest

from gpequity.catalogue.packs import pack_paths
from gpequity.catalogue.schema import Pack

TIERS = [
    {"key": "tier-1", "name": "Tier 1"},
    {"key": "tier-2", "name": "Tier 2"},
    {"key": "achieving", "name": "Achieving"},
    {"key": "leading", "name": "Leading"},
]
THEMES = [
    {"key": "access", "name": "Access and Flexibility"},
    {"key": "values", "name": "Values and Behaviours"},
    {"key": "minoritised", "name": "Minoritised Ethnic Communities"},
]
_SUMMARY = "A made-up action used in tests. It exists only to exercise the importer."
MINI_ACTIONS = [
    ("acc_01", "ACC_01", "Welcome every new registration", "access", "tier-1"),
    ("val_00", "VAL_00", "Name a fairness champion", "values", "tier-1"),
    ("acc_03", "ACC_03", "Offer several booking routes", "access", "tier-2"),
    ("acc_17", "ACC_17", "Plan reasonable adjustments together", "access", "achieving"),
    ("acc_17b", "ACC_17", "Mark access needs on the record", "access", "achieving"),
    ("min_cultural_safety", "", "Run cultural safety sessions", "minoritised", "achieving"),
    ("min_08", "MIN_08", "Adapt remote consultations for everyone", "minoritised", "achieving"),
    ("acc_19", "ACC_19", "Open a drop-in clinic for focus patients", "access", "leading"),
]


def make_mini_pack() -> Pack:
    return Pack.model_validate(
        {
            "id": "mini-pack",
            "name": "Mini test framework",
            "publisher": "Test publisher",
            "version": "0.0",
            "attribution": "Invented for tests.",
            "tiers": TIERS,
            "themes": THEMES,
            "actions": [
                {
                    "key": key,
                    "code": code,
                    "title": title,
                    "theme": theme,
                    "tier": tier,
                    "summary": _SUMMARY,
                    "groups": ["staff"] if key == "val_00" else [],
                    "indicators": ["ethnicity_recorded"] if theme == "minoritised" else [],
                    "effort": "low",
                }
                for key, code, title, theme, tier in MINI_ACTIONS
            ],
        }
    )


@pytest.fixture
def mini_pack() -> Pack:
    return make_mini_pack()


@pytest.fixture
def real_pack() -> Pack:
    """The shipped RCGP pack; skipped until the pack file lands in the repository."""
    if not any(p.stem == "rcgp-fairer-practice" for p in pack_paths()):
        pytest.skip("packs/rcgp-fairer-practice.yaml not present yet")
    from gpequity.catalogue.packs import load_pack

    return load_pack("rcgp-fairer-practice")


def invented_descriptor(key: str) -> str:
    return f"Invented descriptor for {key}, written only for this test."


def invented_information(key: str) -> str:
    return f"Made-up approaches for {key}:\n- first step\n- second step\nMade-up benefits."


def write_workbook(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    """Write ``{sheet name: rows}`` to an .xlsx file (cells may be None)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


BASE_COLUMNS = [
    "Theme",
    "Action Code",
    "Action Descriptor",
    "Supporting Information",
    "Supporting Resources",
]


def official_rows(
    pack: Pack,
    tier: str,
    header: Sequence[str],
    *,
    title_after_code: str = "val_00",
    run_together: str = "min_08",
    tier_label: str | None = None,
) -> list[list[Any]]:
    """Rows of one tier laid out like the official toolkit, with its known quirks."""
    rows: list[list[Any]] = []
    for action in pack.actions_in(tier=tier):
        theme = pack.theme(action.theme).name if action.code else ""
        desc = invented_descriptor(action.key)
        if action.key == title_after_code:
            cell = f"\n\n{action.title}\n\n{desc}"
        elif action.key == run_together:
            cell = f"{action.title}  {desc}"
        else:
            cell = f"{action.title}\n\n{desc}"
        values = {
            "Theme": theme,
            "Action Code": action.code,
            "Action Descriptor": cell,
            "Supporting Information": invented_information(action.key),
            "Supporting Resources": f"Example resource for {action.key}",
            "Action Tier": tier_label or pack.tier(action.tier).name,
            "Tier": tier_label or pack.tier(action.tier).name,
            "Notes": "ignore me",
        }
        rows.append([values.get(col) for col in header])
    return rows


def official_workbook(
    pack: Pack,
    path: Path,
    *,
    sheet_names: dict[str, str] | None = None,
    seed: int = 7,
) -> Path:
    """One sheet per tier, title rows above a shuffled header with an extra column.

    The last tier's sheet also has the "Action Tier" column, as the published toolkit does.
    """
    rng = random.Random(seed)
    sheets: dict[str, list[list[Any]]] = {}
    last = pack.tiers[-1].key
    for tier in pack.tiers:
        header = BASE_COLUMNS + ["Notes"] + (["Action Tier"] if tier.key == last else [])
        rng.shuffle(header)
        name = (sheet_names or {}).get(tier.key, tier.name)
        rows: list[list[Any]] = [
            ["Made-up workbook title"],
            [],
            list(header),
            *official_rows(pack, tier.key, header, tier_label=name),
        ]
        sheets[name] = rows
    return write_workbook(path, sheets)


@pytest.fixture
def xl() -> SimpleNamespace:
    """The spreadsheet helpers above, as a fixture (tests cannot import conftest)."""
    return SimpleNamespace(
        write_workbook=write_workbook,
        official_rows=official_rows,
        official_workbook=official_workbook,
        invented_descriptor=invented_descriptor,
        invented_information=invented_information,
        BASE_COLUMNS=BASE_COLUMNS,
    )

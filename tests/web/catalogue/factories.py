"""Helpers for catalogue tests: toolkit-shaped spreadsheets with invented text.

Every piece of descriptive text here is made up for the tests; only codes, titles, theme and
tier names come from the shipped pack (facts).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import openpyxl

from gpequity.catalogue import load_pack
from gpequity.catalogue.importer import read_official
from gpequity.catalogue.schema import Pack

PACK_ID = "rcgp-fairer-practice"
HEADER = [
    "Theme",
    "Action Code",
    "Action Descriptor",
    "Supporting Information",
    "Supporting Resources",
]
# Names our invented copy gives the two unnamed tiers (shown instead of "Tier 1"/"Tier 2").
SHEET_NAMES = {"tier-1": "Starting Out", "tier-2": "Groundwork"}
SEARCH_WORD = "quokkaflight"  # appears only in acc_01's invented descriptor


def descriptor(key: str, version: int = 1) -> str:
    extra = f" Mentions {SEARCH_WORD} on purpose." if key == "acc_01" else ""
    return f"Invented wording for {key}, edition {version}.{extra}\nSecond line kept apart."


def toolkit_rows(
    pack: Pack,
    tier: str,
    *,
    version: int = 1,
    changed: Mapping[str, int] | None = None,
    skip: frozenset[str] = frozenset(),
) -> list[list[str]]:
    rows = []
    for action in pack.actions_in(tier=tier):
        if action.key in skip:
            continue
        edition = (changed or {}).get(action.key, version)
        rows.append(
            [
                pack.theme(action.theme).name,
                action.code,
                f"{action.title}\n{descriptor(action.key, edition)}",
                f"Made-up approach for {action.key}.\nMade-up benefit.",
                f"Made-up resource for {action.key}",
            ]
        )
    return rows


def toolkit_workbook(
    *,
    version: int = 1,
    changed: Mapping[str, int] | None = None,
    skip: frozenset[str] = frozenset(),
    pack_id: str = PACK_ID,
) -> bytes:
    """An .xlsx laid out like the toolkit: one sheet per tier, a title row above the header.

    ``changed`` gives some actions another edition of their wording; ``skip`` leaves actions
    out, so a second import has something added, removed and changed.
    """
    pack = load_pack(pack_id)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for tier in pack.tiers:
        ws = wb.create_sheet(SHEET_NAMES.get(tier.key, tier.name))
        ws.append([f"Invented toolkit copy for tests: {tier.name}"])
        ws.append([])
        ws.append(HEADER)
        for row in toolkit_rows(pack, tier.key, version=version, changed=changed, skip=skip):
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_bytes(tmp_path: Path, data: bytes, name: str = "toolkit.xlsx", pack_id: str = PACK_ID):
    """Run the core importer on ``data`` (for service-level tests)."""
    path = tmp_path / name
    path.write_bytes(data)
    return read_official(path, load_pack(pack_id))

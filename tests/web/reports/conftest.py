"""Fixtures of the reports tests."""

from __future__ import annotations

import io

import pytest

from .factories import filled_practice, save_focus


@pytest.fixture
def filled():
    """(org, lead, helper, (first, second, third) actions) with a Focus group saved."""
    org, lead, helper, actions = filled_practice()
    save_focus(org, lead)
    return org, lead, helper, actions


def edit_workbook(data: bytes, edits) -> bytes:
    """Apply ``edits`` (sheet, action key or None, column name, value) to a workbook."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    for sheet, key, column, value in edits:
        ws = wb[sheet]
        header = [c.value for c in ws[2]]
        col = header.index(column) + 1
        key_col = header.index("Action Key") + 1 if "Action Key" in header else None
        if key is None:
            ws.cell(row=2, column=col, value=value)
            continue
        for r in range(3, ws.max_row + 1):
            if ws.cell(row=r, column=key_col).value == key:
                ws.cell(row=r, column=col, value=value)
                break
        else:
            raise AssertionError(f"{key} not on {sheet}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row_of(data: bytes, sheet: str, key: str) -> int:
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(data))[sheet]
    header = [c.value for c in ws[2]]
    key_col = header.index("Action Key") + 1
    return next(r for r in range(3, ws.max_row + 1) if ws.cell(row=r, column=key_col).value == key)

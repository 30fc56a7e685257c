"""ODS code shapes and the bulk-load CSV reader (pure, no Django)."""

from __future__ import annotations

from gpequity import ods


def test_code_shapes_by_kind():
    assert ods.code_problem("A81001", "practice") is None
    assert ods.code_problem("U12345", "pcn") is None
    assert ods.code_problem("QHG", "icb") is None
    assert "one letter (not Q or U) then 5 digits" in ods.code_problem("U1234", "practice")
    assert "U then 5 digits" in ods.code_problem("A81001", "pcn")
    assert "Q then 2" in ods.code_problem("QHGX", "icb")
    assert ods.code_problem("", "practice") == "enter an ODS code"


def test_parent_kinds():
    assert ods.parent_problem("practice", "pcn") is None
    assert ods.parent_problem("practice", None) is None
    assert "must be a Primary Care Network" in ods.parent_problem("practice", "icb")
    assert "has no parent" in ods.parent_problem("icb", "icb")


CSV = """ods_code,name,kind,parent_ods_code
a81001,Hill Surgery,practice,U12345
U12345,North PCN,pcn,QHG
"""


def test_reads_a_good_file_with_parents_below_their_children_and_already_stored():
    rows, problems = ods.read_organisations_csv(CSV, existing={"QHG": "icb"})
    assert problems == []
    assert [(r.line, r.ods_code, r.kind) for r in rows] == [
        (2, "A81001", "practice"),
        (3, "U12345", "pcn"),
    ]
    assert [r.ods_code for r in ods.in_parent_order(rows)] == ["U12345", "A81001"]


def test_every_problem_names_line_column_and_value():
    text = (
        "name,ods_code,kind,parent_ods_code\n"
        "Hill Surgery,A8100,practice,U12345\n"
        ",U12345,pcn,QZZ\n"
        "Dale Surgery,B81002,surgery,\n"
        "Vale Surgery,C81003,practice,U12345\n"
        "Copy,C81003,practice,QHG\n"
    )
    rows, problems = ods.read_organisations_csv(text, existing={"QHG": "icb", "B81002": "practice"})
    got = [(p.line, p.column, p.value) for p in problems]
    assert got == [
        (2, "ods_code", "A8100"),
        (3, "name", ""),
        (3, "parent_ods_code", "QZZ"),
        (4, "ods_code", "B81002"),
        (4, "kind", "surgery"),
        (6, "ods_code", "C81003"),
        (6, "parent_ods_code", "QHG"),
    ]
    assert str(problems[-1]) == (
        "line 6, column parent_ods_code ('QHG'): a GP practice's parent must be a "
        "Primary Care Network"
    )


def test_missing_columns_are_one_problem():
    rows, problems = ods.read_organisations_csv("ods_code,name\nA81001,Hill\n")
    assert rows == []
    assert problems[0].message == "missing column(s): kind, parent_ods_code"

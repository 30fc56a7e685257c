"""The Django-free case-study core: workflow table, review dates, checklist hints, cost
bands, safe Markdown and spreadsheet-safe cells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from gpequity.casestudies import cells, checklist, costs, markdown, workflow
from gpequity.casestudies.workflow import AUTHOR, REVIEWER, State


def test_author_and_reviewer_each_have_their_own_moves():
    assert workflow.find("draft", "submit", AUTHOR).target == State.SUBMITTED
    assert workflow.find("changes_requested", "submit", AUTHOR).target == State.SUBMITTED
    assert workflow.find("submitted", "start_review", REVIEWER).target == State.IN_REVIEW
    assert workflow.find("in_review", "publish", REVIEWER).target == State.PUBLISHED
    assert workflow.find("in_review", "request_changes", REVIEWER).target == State.CHANGES_REQUESTED
    with pytest.raises(workflow.TransitionError, match="Only a reviewer"):
        workflow.find("in_review", "publish", AUTHOR)
    with pytest.raises(workflow.TransitionError, match="cannot do that"):
        workflow.find("draft", "publish", REVIEWER)


def test_every_state_is_reachable_from_draft_and_drafts_are_not_public():
    reached, frontier = {State.DRAFT}, [State.DRAFT]
    while frontier:
        state = frontier.pop()
        for t in workflow.TRANSITIONS:
            if t.source == state and t.target not in reached:
                reached.add(t.target)
                frontier.append(t.target)
    assert reached == set(State)
    assert set(workflow.PUBLIC_STATES) == {State.PUBLISHED, State.REVIEW_DUE}
    assert [t.action for t in workflow.available("draft", AUTHOR)] == ["submit"]


def test_review_is_due_two_years_after_publication():
    assert workflow.review_due_on(dt.date(2026, 3, 1)) == dt.date(2028, 3, 1)
    assert workflow.review_due_on(dt.date(2028, 2, 29)) == dt.date(2030, 2, 28)
    assert workflow.is_review_due("published", dt.date(2028, 3, 1), dt.date(2028, 3, 1))
    assert not workflow.is_review_due("published", dt.date(2028, 3, 1), dt.date(2028, 2, 29))
    assert not workflow.is_review_due("archived", dt.date(2028, 3, 1), dt.date(2029, 1, 1))


def test_checklist_lists_what_is_not_ticked():
    answers = dict.fromkeys(checklist.KEYS, True) | {"baseline": False}
    assert [c.key for c in checklist.missing(answers)] == ["baseline"]
    assert checklist.missing(dict.fromkeys(checklist.KEYS, True)) == []


def test_patient_detail_hints_find_nhs_numbers_dates_and_postcodes():
    # 943 476 5919 has a valid check digit; 943 476 5918 does not.
    assert checklist.patient_detail_hints("Seen: 943 476 5919") == [
        "a number that looks like an NHS number"
    ]
    assert checklist.patient_detail_hints("Phone 943 476 5918") == []
    assert checklist.patient_detail_hints("born 03/07/1961 at LS1 4AP") == [
        "a full date (a date of birth?)",
        "a full postcode",
    ]
    assert checklist.patient_detail_hints("We ran 12 clinics over 2 years in Leeds") == []


@pytest.mark.parametrize(
    ("amount", "band"),
    [(None, ""), (0, "none"), (Decimal("999.99"), "under_1k"), (1000, "1k_5k"),
     (5000, "1k_5k"), (5000.01, "5k_20k"), (20000, "5k_20k"), (20001, "over_20k")],
)  # fmt: skip
def test_cost_bands(amount, band):
    assert costs.band(amount) == band


def test_negative_cost_is_refused():
    with pytest.raises(ValueError):
        costs.band(-1)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<a href='https://ok.example' onclick='alert(1)'>x</a>",
        "<svg onload=alert(1)>",
        "<iframe src='https://evil.example'></iframe>",
        "<style>body{display:none}</style>",
        "![x](https://evil.example/track.png)",
    ],
)
def test_rendered_markdown_cannot_carry_script(text):
    html = markdown.render(text)
    parser = _Elements()
    parser.feed(html)
    allowed = {"p", "a", "strong", "em", "ul", "ol", "li", "code", "br"}
    assert {tag for tag, _ in parser.seen} <= allowed, html
    for _tag, attrs in parser.seen:
        for name, value in attrs:
            assert name in ("href", "rel"), html
            if name == "href":
                assert value.startswith(("https://", "http://", "mailto:")), html


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.seen: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.seen.append((tag, attrs))


def test_markdown_keeps_structure_and_moves_headings_down():
    html = markdown.render("# Why\n\nSome **bold** and a [link](https://example.org).\n\n- one")
    assert html.startswith("<h3>Why</h3>")
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">link</a>' in html
    assert "<li>one</li>" in html
    assert markdown.render("   ") == ""
    assert markdown.render("### A\n\n##### B\n\n# C").split("\n") == [
        "<h4>A</h4>", "<h5>B</h5>", "<h3>C</h3>", "",
    ]  # fmt: skip
    assert markdown.plain("**Fewer** missed <b>appointments</b>") == (
        "Fewer missed <b>appointments</b>"
    )


@pytest.mark.parametrize(
    "value", ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx", "plain", "'quoted", "", "a=b"]
)
def test_cells_escape_formula_starts_and_round_trip(value):
    out = cells.escape(value)
    assert not out.startswith(cells.FORMULA_START)
    assert cells.unescape(out) == value

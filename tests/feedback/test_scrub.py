"""What the scrubber removes before anything is stored, and what it leaves alone."""

from __future__ import annotations

import pytest

from gpequity.feedback.scrub import scrub


@pytest.mark.parametrize(
    ("text", "gone", "mask"),
    [
        ("Email me at jo.bloggs@nhs.net please", "jo.bloggs@nhs.net", "[email]"),
        ("Ring 0161 496 0000 after lunch", "0161 496 0000", "[phone number]"),
        ("Or +44 20 7946 0958", "+44 20 7946 0958", "[phone number]"),
        ("Her NHS number 943 476 5919 was wrong", "943 476 5919", "[number]"),
        ("It happened on 12/11/2026", "12/11/2026", "[date]"),
        ("It happened on 2026-11-12", "2026-11-12", "[date]"),
        ("It happened on the 3rd of November 2026", "3rd of November 2026", "[date]"),
        ("It happened on November 3rd, 2026", "November 3rd, 2026", "[date]"),
        ("It happened last Tuesday", "Tuesday", "[date]"),
        ("It happened yesterday", "yesterday", "[date]"),
        ("It happened at 9:30am", "9:30am", "[time]"),
        ("It happened at 3pm", "3pm", "[time]"),
        ("Dr Patel would not listen", "Patel", "[name]"),
        ("Mrs Ann Smith was kept waiting", "Ann Smith", "[name]"),
        ("Sarah Okafor said no", "Okafor", "[name]"),
        ("I told Sarah about it", "Sarah", "[name]"),
    ],
)
def test_masked(text, gone, mask):
    out = scrub(text)
    assert gone not in out.text
    assert mask in out.text
    assert out.changed


def test_names_of_people_at_the_practice_are_masked_when_capitalised():
    out = scrub("Mrs Green said Okonkwo saw it. The green door sticks.", known_names=["Okonkwo"])
    assert "Okonkwo" not in out.text
    assert "The green door sticks." in out.text


def test_ordinary_feedback_is_left_alone():
    text = (
        "Patients who speak Polish struggle to book online. The Practice Manager could add a "
        "translated page. About 20 patients a week ask at the desk, 3 or 4 times each. "
        "May I suggest longer slots?"
    )
    out = scrub(text)
    assert out.text == text
    assert not out.changed and out.summary() == ""


def test_summary_counts_what_was_removed():
    out = scrub("Dr Patel and Dr Jones, 0161 496 0000")
    assert out.summary() == "2 names and 1 phone number"

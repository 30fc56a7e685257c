"""Nested Focus group criteria in the web builder (ADR 8): a top-level any/all of conditions
and sub-groups round-trips through the page unchanged and audited; bad input saves nothing
and keeps what was typed; parts deeper than the form are kept read only, never flattened."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from gpequity.hna import criteria as core
from gpequity.web.audit.models import AuditEvent
from gpequity.web.focus import services
from gpequity.web.focus.models import FocusGroupVersion
from tests.factories import member

pytestmark = pytest.mark.django_db

INTERLEAVED = {
    "any": [
        {"imd_decile": {"le": 2}},
        {"all": [{"age": {"ge": 65}}, {"diabetes": True}]},
        {"homeless": True},
        {"any": [{"ethnicity": {"in": ["M", "N"]}}, {"language": {"ne": "English"}}]},
    ]
}
GROUPS_ONLY = {
    "all": [
        {"any": [{"sex": {"eq": "female"}}, {"carer": False}]},
        {"any": [{"age": {"lt": 18}}, {"age": {"gt": 79}}]},
    ]
}
DEEP_GROUP = {"all": [{"age": {"ge": 65}}, {"any": [{"diabetes": True}, {"copd": True}]}]}
DEEP = {"any": [{"homeless": True}, DEEP_GROUP, {"smoker": {"eq": "current"}}]}
# A column the form does not offer (a date) in a sub-group: that whole sub-group is kept.
UNOFFERED = {
    "any": [{"all": [{"age": {"ge": 50}}, {"last_bowel_screen_date": {"lt": "2020-01-01"}}]}]
}


class FormFields(HTMLParser):
    """What a browser would submit from the page's form: inputs, checked boxes and radios,
    selected options and textareas (not the buttons; the test adds the one it presses)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data[name] = a.get("value") or ("on" if a.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


@pytest.fixture
def edit(client, practice, lead):
    client.force_login(lead)
    return f"/orgs/{practice.ods_code}/focus/edit/"


def page_fields(client, url, data=None) -> dict[str, str]:
    response = client.post(url, data) if data else client.get(url)
    assert response.status_code == 200
    return FormFields(response.content.decode()).data


def saved_from_page(client, url, practice, criteria, **changes):
    """Save ``criteria`` through the service, submit the edit page as drawn, return v2."""
    lead = member(practice, "equity_lead", username="lead2")
    services.focus_group_save(actor=lead, organisation=practice, criteria=criteria)
    data = page_fields(client, url) | changes | {"save": "1"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return FocusGroupVersion.objects.get(organisation=practice, version=2)


@pytest.mark.parametrize("criteria", [INTERLEAVED, GROUPS_ONLY, DEEP, UNOFFERED])
def test_nested_criteria_round_trip_through_the_page_unchanged_and_audited(
    client, edit, practice, criteria
):
    v2 = saved_from_page(client, edit, practice, criteria)
    assert v2.criteria == criteria
    assert v2.description_text == core.describe(criteria)
    event = AuditEvent.objects.get(entity="focus_group", verb="updated")
    assert event.before["criteria"] == criteria and event.after["criteria"] == criteria
    assert event.after["version"] == 2


def test_the_page_draws_groups_as_labelled_fieldsets(client, edit, practice, lead):
    services.focus_group_save(actor=lead, organisation=practice, criteria=INTERLEAVED)
    html = client.get(edit).content.decode()
    assert "Group 1: all of</legend>" in html and "Group 2: any of</legend>" in html
    assert "Group 1, condition 2</legend>" in html and "Condition 2</legend>" in html
    assert "Patients in group 2 meet</legend>" in html
    assert 'name="layout" value="c0 g0 c1 g1"' in html
    assert '<option value="diabetes" selected>' in html
    assert "Kept part" not in html


def test_editing_inside_a_group_changes_only_that_condition(client, edit, practice):
    v2 = saved_from_page(
        client,
        edit,
        practice,
        INTERLEAVED,
        **{"group-0-cond-0-value": "70", "group-1-mode": "all"},
    )
    expected = json.loads(json.dumps(INTERLEAVED))
    expected["any"][1]["all"][0] = {"age": {"ge": 70}}
    expected["any"][3] = {"all": expected["any"][3]["any"]}
    assert v2.criteria == expected


def test_deeper_parts_are_shown_read_only_and_kept_while_the_rest_is_edited(
    client, edit, practice, lead
):
    services.focus_group_save(actor=lead, organisation=practice, criteria=DEEP)
    html = client.get(edit).content.decode()
    assert "Kept part 1, not editable here" in html
    assert "deeper than this form can show" in html and "kept exactly as it is" in html
    assert "<p>Patients aged 65 or over, and (with diabetes, or with COPD).</p>" in html
    # The shallow parts stay editable: change the homeless condition into carer.
    data = page_fields(client, edit) | {"cond-0-column": "carer", "save": "1"}
    assert client.post(edit, data).status_code == 302
    latest = FocusGroupVersion.objects.get(organisation=practice, version=2)
    assert latest.criteria == {"any": [{"carer": True}, DEEP_GROUP, {"smoker": {"eq": "current"}}]}


def test_kept_part_can_be_removed_on_purpose(client, edit, practice, lead):
    services.focus_group_save(actor=lead, organisation=practice, criteria=DEEP)
    fields = page_fields(client, edit)
    html = client.post(edit, fields | {"remove_kept": "0"}).content.decode()
    assert "Kept part" not in html and FocusGroupVersion.objects.count() == 1
    redrawn = FormFields(html).data | {"save": "1"}
    assert client.post(edit, redrawn).status_code == 302
    latest = FocusGroupVersion.objects.get(version=2)
    assert latest.criteria == {"any": [{"homeless": True}, {"smoker": {"eq": "current"}}]}


def test_add_and_remove_groups_and_conditions_without_javascript(client, edit, practice):
    fields = page_fields(client, edit) | {
        "cond-0-column": "imd_decile",
        "cond-0-op": "le",
        "cond-0-value": "3",
    }
    fields = page_fields(client, edit, fields | {"add_group": "1"})
    # A new group starts with the other any/all than the top level, and one empty row.
    assert fields["group-TOTAL"] == "1" and fields["group-0-mode"] == "all"
    assert fields["cond-0-value"] == "3" and fields["layout"] == "c0 g0"
    fields |= {
        "group-0-cond-0-column": "age",
        "group-0-cond-0-op": "ge",
        "group-0-cond-0-value": "75",
    }
    fields = page_fields(client, edit, fields | {"add_condition": "0"})
    assert fields["group-0-cond-TOTAL_FORMS"] == "2" and fields["group-0-cond-0-value"] == "75"
    fields |= {"group-0-cond-1-column": "dementia", "group-0-cond-1-op": "true"}
    fields = page_fields(client, edit, fields | {"add_group": "1"})
    assert fields["group-TOTAL"] == "2" and fields["layout"] == "c0 g0 g1"
    fields = page_fields(client, edit, fields | {"remove_group": "1"})
    assert fields["group-TOTAL"] == "1" and fields["group-0-cond-1-column"] == "dementia"
    assert not FocusGroupVersion.objects.exists()
    assert client.post(edit, fields | {"save": "1"}).status_code == 302
    assert FocusGroupVersion.objects.get().criteria == {
        "any": [{"imd_decile": {"le": 3}}, {"all": [{"age": {"ge": 75}}, {"dementia": True}]}]
    }


def test_removing_a_condition_inside_a_group(client, edit, practice):
    v2 = saved_from_page(client, edit, practice, GROUPS_ONLY, **{"group-1-cond-0-DELETE": "on"})
    assert v2.criteria == {
        "all": [
            {"any": [{"sex": {"eq": "female"}}, {"carer": False}]},
            {"any": [{"age": {"gt": 79}}]},
        ]
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"group-0-cond-1-value": "11"},
            "Group 1, condition 2: IMD decile must be from 1 to 10; 11 is outside that",
        ),
        (
            {"group-0-cond-1-value": "lots"},
            "Group 1, condition 2: IMD decile must be a whole number from 1 to 10; "
            "&#x27;lots&#x27; is not",
        ),
        ({"group-0-cond-0-op": "gt"}, "Group 1, condition 1: Sex cannot be compared"),
        ({"group-0-mode": "most"}, "Group 1: Select a valid choice"),
        (
            {
                "group-0-cond-0-column": "",
                "group-0-cond-0-op": "",
                "group-0-cond-0-value": "",
                "group-0-cond-1-column": "",
                "group-0-cond-1-op": "",
                "group-0-cond-1-value": "",
            },
            "Group 1: add at least one condition, or remove the group",
        ),
        (
            {"kept-TOTAL": "1", "kept-0": '{"all": [{"age": {"about": 3}}]}', "layout": "c0 g0 k0"},
            "Kept part 1 could not be read",
        ),
    ],
)
def test_bad_input_in_a_group_names_it_saves_nothing_and_keeps_what_was_typed(
    client, edit, practice, changes, message
):
    typed = {
        "mode": "any",
        "based_on": "0",
        "layout": "c0 g0",
        "rationale": "Older women in deprived areas",
        "data_sources": "",
        "cond-TOTAL_FORMS": "1",
        "cond-INITIAL_FORMS": "1",
        "cond-0-column": "homeless",
        "cond-0-op": "true",
        "cond-0-value": "",
        "group-TOTAL": "1",
        "group-0-mode": "all",
        "group-0-cond-TOTAL_FORMS": "2",
        "group-0-cond-INITIAL_FORMS": "2",
        "group-0-cond-0-column": "sex",
        "group-0-cond-0-op": "eq",
        "group-0-cond-0-value": "female",
        "group-0-cond-1-column": "imd_decile",
        "group-0-cond-1-op": "le",
        "group-0-cond-1-value": "2",
    }
    response = client.post(edit, typed | changes | {"save": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html
    assert message in html
    assert "nhsuk-form-group--error" in html
    assert not FocusGroupVersion.objects.exists() and not AuditEvent.objects.exists()
    redrawn = FormFields(html).data
    for name, value in (typed | changes).items():
        if name not in ("group-0-mode",) or value in ("any", "all"):
            assert redrawn.get(name, "") == value, name
    assert "Older women in deprived areas" in html


def test_a_stale_nested_save_is_refused_and_keeps_the_groups(client, edit, practice, lead):
    services.focus_group_save(actor=lead, organisation=practice, criteria=INTERLEAVED)
    fields = page_fields(client, edit) | {"group-0-cond-0-value": "90"}
    services.focus_group_save(actor=lead, organisation=practice, criteria=GROUPS_ONLY, based_on=1)
    html = client.post(edit, fields | {"save": "1"}).content.decode()
    assert "Someone else saved a new version" in html
    redrawn = FormFields(html).data
    assert redrawn["group-0-cond-0-value"] == "90" and redrawn["based_on"] == "2"
    assert redrawn["layout"] == "c0 g0 c1 g1"
    assert FocusGroupVersion.objects.count() == 2
    assert client.post(edit, redrawn | {"save": "1"}).status_code == 302
    expected = json.loads(json.dumps(INTERLEAVED))
    expected["any"][1]["all"][0] = {"age": {"ge": 90}}
    assert FocusGroupVersion.objects.get(version=3).criteria == expected

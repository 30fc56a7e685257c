"""The Focus Patient group builder: form rows become DATA.md criteria, validated by the core
parser, stored as audited versions and shown in plain English; clear errors store nothing."""

from __future__ import annotations

import json

import pytest
from django.utils.html import escape
from django.utils.text import capfirst

from gpequity.hna import criteria as core
from gpequity.web.audit.models import AuditEvent
from gpequity.web.focus import services
from gpequity.web.focus.models import FocusGroupVersion
from tests.factories import PracticeFactory, member

pytestmark = pytest.mark.django_db


def shown(description: str) -> str:
    """How a plain-English description appears in a page: capitalised, HTML-escaped."""
    return escape(capfirst(description))


CORE20_OR_HOMELESS = {"any": [{"imd_decile": {"le": 2}}, {"homeless": True}]}


def form_data(rows, mode="any", based_on=0, **extra):
    data = {
        "mode": mode,
        "rationale": "Most of our list lives in the two most deprived deciles.",
        "data_sources": "EMIS registers; IMD 2019 by postcode",
        "based_on": str(based_on),
        "cond-TOTAL_FORMS": str(len(rows)),
        "cond-INITIAL_FORMS": str(len(rows)),
        "cond-MIN_NUM_FORMS": "0",
        "cond-MAX_NUM_FORMS": "1000",
        "save": "1",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"cond-{i}-{key}"] = value
    data.update(extra)
    return data


def test_form_builds_the_data_md_criteria_and_shows_plain_english(client, practice, lead):
    client.force_login(lead)
    url = f"/orgs/{practice.ods_code}/focus/edit/"
    rows = [
        {"column": "imd_decile", "op": "le", "value": "2"},
        {"column": "homeless", "op": "true", "value": ""},
        {"column": "", "op": "", "value": ""},  # an empty row is ignored
    ]
    response = client.post(url, form_data(rows))
    assert response.status_code == 302
    saved = FocusGroupVersion.objects.get(organisation=practice)
    assert saved.criteria == CORE20_OR_HOMELESS
    assert saved.version == 1
    assert saved.description_text == core.describe(core.parse_criteria(CORE20_OR_HOMELESS))
    page = client.get(f"/orgs/{practice.ods_code}/focus/").content.decode()
    assert shown(saved.description_text) in page
    assert "EMIS registers" in page and "two most deprived deciles" in page
    download = client.get(f"/orgs/{practice.ods_code}/focus/criteria.json")
    assert download["Content-Disposition"] == 'attachment; filename="criteria.json"'
    assert json.loads(download.content) == CORE20_OR_HOMELESS
    event = AuditEvent.objects.get(entity="focus_group")
    assert event.verb == "created" and event.before is None
    assert event.after["criteria"] == CORE20_OR_HOMELESS


def test_list_values_codes_and_all_mode(client, practice, lead):
    client.force_login(lead)
    rows = [
        {"column": "ethnicity", "op": "in", "value": "m, N ,p"},
        {"column": "age", "op": "ge", "value": "18"},
        {"column": "learning_disability", "op": "false", "value": ""},
    ]
    client.post(f"/orgs/{practice.ods_code}/focus/edit/", form_data(rows, mode="all"))
    saved = FocusGroupVersion.objects.get(organisation=practice)
    assert saved.criteria == {
        "all": [
            {"ethnicity": {"in": ["M", "N", "P"]}},
            {"age": {"ge": 18}},
            {"learning_disability": False},
        ]
    }


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"column": "imd_decile", "op": "le", "value": "11"}, "must be from 1 to 10"),
        ({"column": "imd_decile", "op": "le", "value": "two"}, "must be a whole number"),
        ({"column": "sex", "op": "eq", "value": "woman"}, "female, male, other, unknown"),
        ({"column": "sex", "op": "gt", "value": "female"}, "cannot be compared as more or less"),
        ({"column": "homeless", "op": "eq", "value": "yes"}, "is recorded as yes"),
        ({"column": "age", "op": "true", "value": ""}, "only applies to yes/no"),
        ({"column": "ethnicity", "op": "in", "value": " , "}, "Enter one or more values"),
        ({"column": "", "op": "eq", "value": "3"}, "Choose a characteristic"),
    ],
)
def test_invalid_rows_give_clear_errors_and_store_nothing(client, practice, lead, row, message):
    client.force_login(lead)
    response = client.post(f"/orgs/{practice.ods_code}/focus/edit/", form_data([row]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and message in html
    assert not FocusGroupVersion.objects.exists() and not AuditEvent.objects.exists()


def test_no_conditions_is_an_error(client, practice, lead):
    client.force_login(lead)
    rows = [{"column": "", "op": "", "value": ""}]
    html = client.post(f"/orgs/{practice.ods_code}/focus/edit/", form_data(rows)).content.decode()
    assert "Add at least one condition" in html
    assert not FocusGroupVersion.objects.exists()


def test_add_row_preset_and_remove_work_without_javascript(client, practice, lead):
    client.force_login(lead)
    url = f"/orgs/{practice.ods_code}/focus/edit/"
    rows = [{"column": "age", "op": "ge", "value": "65"}]
    data = form_data(rows, preset="grt")
    del data["save"]
    html = client.post(url, data).content.decode()
    assert 'name="cond-TOTAL_FORMS" value="2"' in html
    assert '<option value="gypsy_roma_traveller" selected>' in html
    assert 'value="65"' in html
    data = form_data(rows, add_row="1")
    del data["save"]
    html = client.post(url, data).content.decode()
    assert 'name="cond-TOTAL_FORMS" value="2"' in html
    assert not FocusGroupVersion.objects.exists()
    rows = [
        {"column": "age", "op": "ge", "value": "65"},
        {"column": "homeless", "op": "true", "value": "", "DELETE": "on"},
    ]
    client.post(url, form_data(rows))
    assert FocusGroupVersion.objects.get().criteria == {"any": [{"age": {"ge": 65}}]}


def test_versions_history_compare_and_prefill(client, practice, lead):
    client.force_login(lead)
    url = f"/orgs/{practice.ods_code}/focus/edit/"
    client.post(url, form_data([{"column": "imd_decile", "op": "le", "value": "2"}]))
    client.post(url, form_data([{"column": "homeless", "op": "true", "value": ""}], based_on=1))
    v1, v2 = FocusGroupVersion.objects.order_by("version")
    assert (v1.version, v2.version) == (1, 2)
    page = client.get(f"/orgs/{practice.ods_code}/focus/").content.decode()
    assert shown(v1.description_text) in page and shown(v2.description_text) in page
    compare = client.get(f"/orgs/{practice.ods_code}/focus/versions/1/").content.decode()
    assert shown(v1.description_text) in compare
    assert shown(v2.description_text) in compare
    client.post(url, form_data([{"column": "age", "op": "ge", "value": "80"}], based_on=2))
    v3 = FocusGroupVersion.objects.get(version=3)
    pair = client.get(f"/orgs/{practice.ods_code}/focus/versions/1/?with=2").content.decode()
    assert shown(v2.description_text) in pair and shown(v3.description_text) not in pair
    old = client.get(f"/orgs/{practice.ods_code}/focus/criteria.json?version=1")
    assert json.loads(old.content) == {"any": [{"imd_decile": {"le": 2}}]}
    edit = client.get(url).content.decode()
    assert '<option value="age" selected>' in edit and 'name="based_on" value="3"' in edit
    updated = AuditEvent.objects.filter(entity="focus_group", verb="updated").last()
    assert updated.before["version"] == 1 and updated.after["version"] == 2


def test_concurrent_save_is_refused_and_input_kept(client, practice, lead):
    client.force_login(lead)
    url = f"/orgs/{practice.ods_code}/focus/edit/"
    services.focus_group_save(actor=lead, organisation=practice, criteria=CORE20_OR_HOMELESS)
    stale = form_data([{"column": "age", "op": "ge", "value": "80"}], based_on=0)
    html = client.post(url, stale).content.decode()
    assert "Someone else saved a new version" in html
    assert 'value="80"' in html and 'name="based_on" value="1"' in html
    assert FocusGroupVersion.objects.count() == 1


def test_permissions_and_scoping(client, practice, lead):
    nurse = member(practice, "member")
    other = PracticeFactory()
    services.focus_group_save(actor=lead, organisation=practice, criteria=CORE20_OR_HOMELESS)
    client.force_login(nurse)
    assert client.get(f"/orgs/{practice.ods_code}/focus/").status_code == 200
    assert client.get(f"/orgs/{practice.ods_code}/focus/edit/").status_code == 403
    rows = [{"column": "age", "op": "ge", "value": "80"}]
    post = client.post(f"/orgs/{practice.ods_code}/focus/edit/", form_data(rows, based_on=1))
    assert post.status_code == 403
    client.force_login(lead)
    for path in ("", "edit/", "criteria.json", "versions/1/"):
        assert client.get(f"/orgs/{other.ods_code}/focus/{path}").status_code == 404
    assert client.get(f"/api/orgs/{other.ods_code}/focus").status_code == 404
    assert FocusGroupVersion.objects.count() == 1


def test_api_returns_current_criteria_plain_english_and_versions(client, practice, lead):
    services.focus_group_save(
        actor=lead, organisation=practice, criteria={"all": [{"age": {"ge": 65}}]}
    )
    services.focus_group_save(
        actor=lead, organisation=practice, criteria=CORE20_OR_HOMELESS, based_on=1
    )
    client.force_login(member(practice, "viewer"))
    body = client.get(f"/api/orgs/{practice.ods_code}/focus").json()
    assert body["current"]["criteria"] == CORE20_OR_HOMELESS
    assert body["current"]["description"] == core.describe(core.parse_criteria(CORE20_OR_HOMELESS))
    assert [v["version"] for v in body["versions"]] == [2, 1]


def test_service_rejects_invalid_criteria_via_core_parser(practice, lead):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.focus_group_save(
            actor=lead, organisation=practice, criteria={"any": [{"age": {"about": 3}}]}
        )
    assert not FocusGroupVersion.objects.exists()

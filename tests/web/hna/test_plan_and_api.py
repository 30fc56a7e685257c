"""Findings to plan (a later run adds a measurement marked with its run) and the HNA API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gpequity.web.hna.models import Run
from gpequity.web.plans.models import Measurement, PlanItem

from .extracts import AS_OF, broken_patients, extract_zip, zipped
from .test_runs import base, leftovers, upload

pytestmark = pytest.mark.django_db


def _first_add_form(page: str) -> dict[str, str]:
    form = re.search(r'<form method="post" action="([^"]+add-to-plan/)".*?</form>', page, re.S)
    assert form, "no Add to plan button"
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
    fields.pop("csrfmiddlewaretoken", None)
    return {"action": form.group(1), **fields}


def test_add_to_plan_sets_the_baseline_and_a_later_run_adds_a_measurement(client, practice, lead):
    client.force_login(lead)
    earlier = AS_OF - dt.timedelta(days=180)
    upload(
        client,
        practice,
        extract_zip(n=1500, as_of=earlier),
        as_of_day=str(earlier.day),
        as_of_month=str(earlier.month),
        as_of_year=str(earlier.year),
    )
    first = Run.objects.get(organisation=practice)
    report = client.get(base(practice) + f"runs/{first.pk}/report/").content.decode()
    assert "Add to plan" in report and "Patients" not in report[:0]
    form = _first_add_form(report)
    action = form.pop("action")
    response = client.post(action, form)
    item = PlanItem.objects.get(organisation=practice, action_key=form["action_key"])
    assert response.status_code == 302 and response["Location"].endswith(f"/plan/{item.pk}/edit/")
    assert item.measure_indicator == form["indicator"]
    assert (item.measure_grouping, item.measure_group) == (form["grouping"], form["group"])
    assert item.baseline is not None and item.target is not None
    m = Measurement.objects.get(plan_item=item)
    assert m.source_run == first and m.measured_on == earlier and m.value == item.baseline
    again = client.get(base(practice) + f"runs/{first.pk}/report/").content.decode()
    assert f"/plan/{item.pk}/" in again  # the action now opens the plan item

    later = AS_OF
    upload(client, practice, extract_zip(n=1500, seed=8))
    second = Run.objects.exclude(pk=first.pk).get(organisation=practice)
    assert second.status == "done"
    values = list(Measurement.objects.filter(plan_item=item).order_by("measured_on"))
    assert [v.source_run_id for v in values] == [first.pk, second.pk]
    assert values[1].measured_on == later
    page = client.get(f"/orgs/{practice.ods_code}/plan/{item.pk}/").content.decode()
    assert "2 measurements" in page and "From the health needs assessment" in page
    trends = client.get(base(practice) + "trends/").content.decode()
    assert "Trends across assessments" in trends and "<svg" in trends


def test_the_api_starts_a_run_and_reports_it(client, practice, people):
    lead = people["lead"]
    client.force_login(lead)
    url = f"/api/orgs/{practice.ods_code}/hna/runs"
    response = client.post(
        url,
        {
            "extract": SimpleUploadedFile("extract.zip", extract_zip()),
            "as_of": AS_OF.isoformat(),
            "focus": '{"any": [{"homeless": true}]}',
        },
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"id", "status", "url"} and body["url"].endswith(f"/runs/{body['id']}/")
    run = client.get(f"{url}/{body['id']}").json()
    assert run["status"] == "done" and run["progress"] == 1.0
    assert run["focus_criteria"] == {"any": [{"homeless": True}]}
    assert [r["id"] for r in client.get(url).json()] == [body["id"]]
    rows = client.get(f"{url}/{body['id']}/indicators").json()
    assert rows[0]["grouping"] == "overall" and isinstance(rows[0]["numerator"], int)

    bad = broken_patients({4: {"sex": "robot"}})
    response = client.post(
        url,
        {
            "extract": SimpleUploadedFile("x.zip", zipped({"patients.csv": bad})),
            "as_of": AS_OF.isoformat(),
        },
    )
    invalid = client.get(f"{url}/{response.json()['id']}").json()
    assert invalid["status"] == "invalid" and invalid["droppable_rows"] == {"patients.csv": 1}
    problem = invalid["problems"][0]
    assert (problem["file"], problem["line"], problem["column"], problem["value"]) == (
        "patients.csv",
        4,
        "sex",
        "robot",
    )
    assert client.get(f"{url}/{response.json()['id']}/indicators").status_code == 409

    refused = client.post(
        url, {"extract": SimpleUploadedFile("x.zip", b""), "as_of": AS_OF.isoformat()}
    )
    assert refused.status_code == 422 and "empty" in refused.json()["detail"]
    assert Run.objects.count() == 2
    assert leftovers() == [Run.objects.get(status="invalid").upload_folder.split("/")[0]]

    for who in ("network_lead", "analyst"):
        client.force_login(people[who])
        assert client.get(url).status_code == 404
        assert client.get(f"{url}/{body['id']}/indicators").status_code == 404
    client.force_login(people["member"])
    assert client.get(url).status_code == 200
    assert (
        client.post(
            url, {"extract": SimpleUploadedFile("x.zip", extract_zip()), "as_of": AS_OF.isoformat()}
        ).status_code
        == 404
    )

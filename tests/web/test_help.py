"""Help pages for a practice: open to everyone, linked from the dashboard and header."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("slug", "words"),
    [
        ("tiers", "A tier is reached when every one of its actions"),
        ("hna", "Range (confidence interval)"),
        ("glossary", "Pseudonymised"),
        ("sharing", "Who sees your practice"),
    ],
)
def test_help_pages(client, slug, words):
    response = client.get(f"/help/{slug}/")
    assert response.status_code == 200 and words in response.content.decode()
    assert "<title>" in response.content.decode() and " - Help - gpequity</title>" in (
        response.content.decode()
    )


def test_help_is_linked_from_the_header_and_the_dashboard(client, practice, lead):
    assert 'href="/help/"' in client.get("/").content.decode()
    assert client.get("/help/nope/").status_code == 404
    client.force_login(lead)
    page = client.get(f"/orgs/{practice.ods_code}/").content.decode()
    assert 'href="/help/tiers/"' in page and 'href="/help/hna/"' in page

"""The ``{% url %}`` tag and menu links are reversed once per name and arguments
(``nav.cached_reverse``): the result is always what Django's own reverse gives, including for
keyword arguments, ``as`` variables and a changed script prefix, and errors still raise."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.template.engine import Engine as _Engine
from django.urls import NoReverseMatch, reverse, set_script_prefix

from gpequity.web.core import nav
from gpequity.web.core.templatetags.nhsuk import CachedURLNode


def _render(text: str, **context) -> str:
    engine = _Engine.get_default()
    return Template(text, engine=engine).render(Context(context))


def test_the_tag_gives_what_django_gives_for_every_kind_of_argument():
    node = Template("{% url 'orgs:list' %}", engine=_Engine.get_default()).nodelist[0]
    assert isinstance(node, CachedURLNode)  # the site's templates use the remembering tag
    assert _render("{% url 'assessment:overview' 'Y99001' %}") == reverse(
        "assessment:overview", args=["Y99001"]
    )
    assert _render("{% url 'plans:item' ods_code='Y99001' item_id=7 %}") == reverse(
        "plans:item", kwargs={"ods_code": "Y99001", "item_id": 7}
    )
    assert _render("{% url 'plans:item' o i %}", o="A1", i=3) == reverse(
        "plans:item", args=["A1", 3]
    )
    # different arguments are never served another's URL
    assert _render("{% url 'plans:item' o i %}", o="A1", i=4).endswith("/4/")
    # "as" stores it and writes nothing; an unknown name is empty with "as", an error without
    assert _render("{% url 'orgs:list' as u %}[{{ u }}]") == f"[{reverse('orgs:list')}]"
    assert _render("{% url 'no:such' as u %}[{{ u }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        _render("{% url 'no:such' %}")


def test_a_new_script_prefix_is_a_new_url_never_a_remembered_one():
    plain = nav.cached_reverse("orgs:list")
    try:
        set_script_prefix("/gpequity/")
        assert nav.cached_reverse("orgs:list") == "/gpequity" + plain
        assert _render("{% url 'orgs:list' %}") == "/gpequity" + plain
    finally:
        set_script_prefix("/")
    assert nav.cached_reverse("orgs:list") == plain

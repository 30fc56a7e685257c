"""Render Vega-Altair charts to inline SVG on the server.

Charts are converted with vl-convert (bundled Vega, no network, no JavaScript in the
browser), so they show without scripts and never load Vega from a CDN. The caller supplies
an accessible name; the SVG gets ``role="img"`` and ``aria-label`` and its own ``<title>``
so screen readers announce it, and pages show the same numbers in a table beside it.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache
from html import escape

import altair as alt
import vl_convert as vlc

_SVG_OPEN = re.compile(r"<svg\b([^>]*)>", re.IGNORECASE)
_DROP_ATTRS = re.compile(r'\s(?:role|aria-label|aria-roledescription)="[^"]*"', re.IGNORECASE)


def chart_to_svg(chart: alt.TopLevelMixin, *, label: str) -> str:
    """The chart as an SVG string ready to be inlined in HTML, with ``label`` as its name.

    Drawing is the slowest part of a page with charts (issue 22's load test: most of a plan
    item's or the engagement dashboard's time), and the same data draws the same chart, so
    the SVG is remembered by the chart's full specification (data included): new data is a
    new specification, never a stale picture.
    """
    # Our charts are built by our code and tested; checking each against the Vega-Lite JSON
    # schema again at every request took as long as drawing it (vl-convert still refuses a
    # broken one).
    spec = chart.to_dict(validate=False)
    return _svg(json.dumps(spec, sort_keys=True, default=str), label)


_BUILT: OrderedDict[tuple, str] = OrderedDict()
_BUILT_LOCK = threading.Lock()
_BUILT_MAX = 256


def svg_for(inputs: Hashable, build: Callable[[], alt.TopLevelMixin], *, label: str) -> str:
    """The SVG of the chart ``build()`` makes, remembered by what it is made from.

    Building the Altair objects costs more than looking a drawn chart up (Altair checks each
    encoding against its schema as it is built: about 150 ms of a plan item page's 190 ms
    in issue 22's load profile), so a chart whose ``inputs`` were seen before is not built
    at all. ``inputs`` must hold everything ``build`` reads (values, never model objects),
    so new data is a new key, never a stale picture; the builder's own name is part of the
    key, so two kinds of chart never share one.
    """
    key = (build.__module__, build.__qualname__, inputs, label)
    with _BUILT_LOCK:
        if key in _BUILT:
            _BUILT.move_to_end(key)
            return _BUILT[key]
    svg = chart_to_svg(build(), label=label)
    with _BUILT_LOCK:
        _BUILT[key] = svg
        while len(_BUILT) > _BUILT_MAX:
            _BUILT.popitem(last=False)
    return svg


@lru_cache(maxsize=128)
def _svg(spec: str, label: str) -> str:
    svg = vlc.vegalite_to_svg(json.loads(spec), vl_version=_vl_version())
    return _label_svg(svg, label)


def _vl_version() -> str:
    """The Vega-Lite version Altair writes (e.g. "6.4"), so vl-convert reads it as meant."""
    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    available = vlc.get_vegalite_versions()
    return major_minor if major_minor in available else available[-1]


def _label_svg(svg: str, label: str) -> str:
    """Give the root ``<svg>`` an accessible name and hide Vega's inner ARIA tree.

    Vega writes role/aria attributes on nested groups ("graphics-symbol" and so on) that
    axe reports as unsupported inside an image; the chart is one image whose meaning the
    label and the data table carry, so the inner roles are removed.
    """
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg.strip())
    match = _SVG_OPEN.search(svg)
    if match is None:
        raise ValueError("vl-convert did not return an SVG document")
    head, body = svg[: match.end()], svg[match.end() :]
    body = _DROP_ATTRS.sub("", body)
    attrs = _DROP_ATTRS.sub("", match.group(1))
    safe = escape(label, quote=True)
    opening = f'<svg{attrs} role="img" aria-label="{safe}" focusable="false">'
    return head[: match.start()] + opening + f"<title>{escape(label)}</title>" + body

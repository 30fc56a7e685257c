"""Open Referral UK (HSDS-UK 3.0): our directory records to and from the standard.

- ``records``: ``ServiceRecord`` and the mapping ``from_oruk`` / ``to_oruk``.
- ``validate``: the standard's compiled schemas (shipped unchanged in ``data/``, CC BY-SA 4.0,
  see ``data/ATTRIBUTION.txt``) with format checking, and the schedule checks they lack.
- ``feeds``: reading a JSON file, a CSV data package (folder or zip) or a live API.
- ``sync``: what an import would change, and the page envelope of the API.

Django-free (ADR 2, ADR 19).
"""

from __future__ import annotations

from .feeds import Feed, FeedError, read_source
from .records import ServiceRecord, from_oruk, to_list_item, to_oruk
from .sync import ImportPlan, open_now, page_envelope, plan_import
from .validate import VERSION, Problem, feed_problems, schema_problems, service_problems

__all__ = [
    "VERSION",
    "Feed",
    "FeedError",
    "ImportPlan",
    "Problem",
    "ServiceRecord",
    "feed_problems",
    "from_oruk",
    "open_now",
    "page_envelope",
    "plan_import",
    "read_source",
    "schema_problems",
    "service_problems",
    "to_list_item",
    "to_oruk",
]

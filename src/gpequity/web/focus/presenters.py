"""Shape Focus group versions for templates and downloads."""

from __future__ import annotations

import json
from typing import Any

from .models import FocusGroupVersion


def criteria_json(version: FocusGroupVersion) -> str:
    """The criteria as the JSON file ``gpequity hna run --focus FILE`` reads."""
    return json.dumps(version.criteria, indent=2, ensure_ascii=False) + "\n"


def version_row(v: FocusGroupVersion) -> dict[str, Any]:
    who = v.created_by.get_full_name() or v.created_by.get_username() if v.created_by else "Unknown"
    return {
        "version": v.version,
        "who": who,
        "when": v.created_at,
        "description": v.description_text,
    }


def breadcrumbs(org, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [(org.name, f"/orgs/{org.ods_code}/"), *extra]

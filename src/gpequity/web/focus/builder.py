"""The nested Focus group builder: a top-level any/all holding conditions and sub-groups.

The form edits two levels (ADR 8): the top-level group, whose any/all is
``FocusMetaForm.mode``, holds conditions and sub-groups; each sub-group has its own any/all
and holds conditions. A top-level part the form cannot say exactly (a group inside a
sub-group, a characteristic or comparison the form does not offer) is *kept*: shown read
only with the reason, carried in the page as its JSON and saved unchanged, never flattened.
The hidden ``layout`` field records the order of the top-level parts, so a definition
round-trips to the same JSON.

Field names, all plain HTML so the page works without JavaScript::

    cond-...                 top-level conditions (a formset, as before nesting)
    group-TOTAL              number of sub-groups
    group-<g>-mode           a sub-group's any/all
    group-<g>-cond-...       its conditions (a formset)
    kept-TOTAL, kept-<k>     kept parts, as JSON
    layout                   the top-level order, e.g. "c0 g0 k0 c1"

Buttons that redraw the page without saving: ``add_row``, ``preset``, ``add_group``,
``add_condition=<g>``, ``remove_group=<g>``, ``remove_kept=<k>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from gpequity.hna.criteria import Condition, CriteriaError, Group, describe, parse_criteria

from .forms import PREFIX, PRESET_ROWS, ConditionFormSet, GroupModeForm, row_for_condition

MAX_GROUPS = 10
MAX_ROWS = 30
MAX_KEPT = 50
ROW_KEYS = ("column", "op", "value")
MODE_WORDS = {"any": "any of", "all": "all of"}


@dataclass
class SubGroup:
    mode: str
    rows: list[dict[str, str]] = field(default_factory=list)


# A top-level part: ("c", row) | ("g", SubGroup) | ("k", JSON text of a kept part).
Part = tuple[str, Any]


# ------------------------------------------------------------------ drafts (no validation)


def draft_from_criteria(criteria: Mapping[str, Any] | None) -> tuple[str, list[Part]]:
    """The top-level mode and parts for a stored definition (one empty row when none)."""
    if not criteria:
        return "any", [("c", {})]
    mode = "any" if "any" in criteria else "all"
    parts: list[Part] = []
    for raw in criteria.get(mode, []):
        try:
            item = _parse_part(raw)
        except CriteriaError:
            parts.append(("k", json.dumps(raw)))
            continue
        if isinstance(item, Condition):
            row = row_for_condition(item)
            parts.append(("c", row) if row else ("k", json.dumps(raw)))
            continue
        rows = [row_for_condition(c) if isinstance(c, Condition) else None for c in item.items]
        if all(rows):
            parts.append(("g", SubGroup(item.mode, rows)))
        else:
            parts.append(("k", json.dumps(raw)))
    return mode, parts


def draft_from_post(data: Mapping[str, Any]) -> list[Part]:
    """The parts as typed (rows ticked for removal dropped), to redraw the page."""
    counts = _counts(data)
    parts: list[Part] = []
    for kind, i in parse_layout(data.get("layout", ""), counts):
        if kind == "c":
            if not data.get(f"{PREFIX}-{i}-DELETE"):
                parts.append(("c", _row(data, f"{PREFIX}-{i}")))
        elif kind == "g":
            prefix = f"group-{i}-cond"
            rows = [
                _row(data, f"{prefix}-{r}")
                for r in range(_int(data.get(f"{prefix}-TOTAL_FORMS"), MAX_ROWS))
                if not data.get(f"{prefix}-{r}-DELETE")
            ]
            parts.append(("g", SubGroup(data.get(f"group-{i}-mode", ""), rows)))
        else:
            parts.append(("k", data.get(f"kept-{i}", "")))
    return parts


def apply_action(parts: list[Part], data: Mapping[str, Any]) -> list[Part] | None:
    """The parts after an add/remove button, or None when the user asked to save."""
    preset = data.get("preset")
    if "add_row" in data or preset in PRESET_ROWS:
        return [*parts, ("c", dict(PRESET_ROWS[preset]) if preset in PRESET_ROWS else {})]
    if "add_group" in data:
        if sum(kind == "g" for kind, _ in parts) >= MAX_GROUPS:
            return parts
        # Nesting the same any/all says nothing new, so a new group starts with the other.
        mode = "all" if data.get("mode") != "all" else "any"
        return [*parts, ("g", SubGroup(mode, [{}]))]
    for action, kind in (("add_condition", "g"), ("remove_group", "g"), ("remove_kept", "k")):
        if action in data:
            target = _nth(parts, kind, data.get(action))
            if target is None:
                return parts
            if action == "add_condition":
                rows = parts[target][1].rows
                if len(rows) < MAX_ROWS:
                    rows.append({})
                return parts
            return parts[:target] + parts[target + 1 :]
    return None


def parse_layout(text: str, counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """The top-level order from ``layout``; anything missing or unknown falls back to
    conditions, then groups, then kept parts, so a damaged field loses nothing."""
    order: list[tuple[str, int]] = []
    for token in (text or "").split():
        kind, number = token[:1], token[1:]
        if kind in counts and number.isdigit() and int(number) < counts[kind]:
            if (kind, int(number)) not in order:
                order.append((kind, int(number)))
    for kind in ("c", "g", "k"):
        order += [(kind, i) for i in range(counts[kind]) if (kind, i) not in order]
    return order


def _counts(data: Mapping[str, Any]) -> dict[str, int]:
    return {
        "c": _int(data.get(f"{PREFIX}-TOTAL_FORMS"), MAX_ROWS),
        "g": _int(data.get("group-TOTAL"), MAX_GROUPS),
        "k": _int(data.get("kept-TOTAL"), MAX_KEPT),
    }


def _int(value: Any, most: int) -> int:
    try:
        return max(0, min(int(value), most))
    except (TypeError, ValueError):
        return 0


def _row(data: Mapping[str, Any], prefix: str) -> dict[str, str]:
    return {k: data.get(f"{prefix}-{k}", "") for k in ROW_KEYS}


def _nth(parts: list[Part], kind: str, number: Any) -> int | None:
    """Index in ``parts`` of the number-th part of this kind (numbers as on the page)."""
    wanted = _int(number, 1000) if str(number).isdigit() else -1
    places = [i for i, (k, _) in enumerate(parts) if k == kind]
    return places[wanted] if 0 <= wanted < len(places) else None


def _parse_part(raw: Any) -> Condition | Group:
    """One top-level part, checked by the core parser (it only parses whole documents)."""
    return parse_criteria({"all": [raw]}).items[0]


def kept_reason(item: Condition | Group) -> str:
    if isinstance(item, Group) and any(isinstance(i, Group) for i in item.items):
        return "it has a group inside a group, deeper than this form can show"
    return "it uses a characteristic, comparison or value this form does not offer"


# ------------------------------------------------------------------ the bound/unbound form


class CriteriaBuilder:
    """Every form of the builder, in page order; ``data`` binds it to a POST, ``parts``
    prefills it. Validate with ``is_valid()``, then read ``criteria(mode)``."""

    def __init__(
        self, *, data: Mapping[str, Any] | None = None, parts: list[Part] | None = None
    ) -> None:
        self.is_bound = data is not None
        self._validated = False
        self._kept_items: dict[int, Condition | Group] = {}
        self._kept_errors: dict[int, str] = {}
        if data is not None:
            counts = _counts(data)
            self.top = ConditionFormSet(data, prefix=PREFIX)
            self.groups = [
                (
                    GroupModeForm(data, prefix=f"group-{g}"),
                    ConditionFormSet(data, prefix=f"group-{g}-cond"),
                )
                for g in range(counts["g"])
            ]
            self.kept = [data.get(f"kept-{k}", "") for k in range(counts["k"])]
            counts["c"] = len(self.top.forms)
            self.order = parse_layout(data.get("layout", ""), counts)
        else:
            parts = parts if parts is not None else [("c", {})]
            rows = [value for kind, value in parts if kind == "c"]
            subgroups = [value for kind, value in parts if kind == "g"]
            self.top = ConditionFormSet(prefix=PREFIX, initial=rows)
            self.groups = [
                (
                    GroupModeForm(prefix=f"group-{g}", initial={"mode": sub.mode}),
                    ConditionFormSet(prefix=f"group-{g}-cond", initial=sub.rows or [{}]),
                )
                for g, sub in enumerate(subgroups)
            ]
            self.kept = [value for kind, value in parts if kind == "k"]
            seen = {"c": 0, "g": 0, "k": 0}
            self.order = []
            for kind, _ in parts:
                self.order.append((kind, seen[kind]))
                seen[kind] += 1
        for g, (mode_form, formset) in enumerate(self.groups, start=1):
            mode_form.fields["mode"].label = f"Patients in group {g} meet"
            formset.empty_message = f"Group {g}: add at least one condition, or remove the group"
        for k, text in enumerate(self.kept):
            try:
                self._kept_items[k] = _parse_part(json.loads(text))
            except (CriteriaError, ValueError) as exc:
                self._kept_errors[k] = (
                    f"Kept part {k + 1} could not be read ({str(exc).splitlines()[0][:120]}); "
                    "remove it to save"
                )

    # ---- validation and the result

    def is_valid(self) -> bool:
        if not self.is_bound:
            return False
        self._validated = True
        self.top.allow_empty = bool(self.groups or self.kept)
        results = [self.top.is_valid()]
        for mode_form, formset in self.groups:
            results += [mode_form.is_valid(), formset.is_valid()]
        # With no sub-group or kept part, the top-level formset itself asks for a condition.
        return all(results) and not self._kept_errors

    def criteria(self, mode: str) -> Group:
        """The core ``Group`` for a valid builder, top-level parts in page order."""
        items: list[Condition | Group] = []
        for kind, i in self.order:
            if kind == "c":
                form = self.top.forms[i]
                if not form.cleaned_data.get("DELETE") and form.cleaned_data.get("condition"):
                    items.append(form.cleaned_data["condition"])
            elif kind == "g":
                mode_form, formset = self.groups[i]
                items.append(Group(mode_form.cleaned_data["mode"], formset.conditions()))
            else:
                items.append(self._kept_items[i])
        return Group(mode, items)

    # ---- what the template shows

    @property
    def layout(self) -> str:
        return " ".join(f"{kind}{i}" for kind, i in self.order)

    @property
    def group_total(self) -> int:
        return len(self.groups)

    @property
    def can_add_group(self) -> bool:
        return len(self.groups) < MAX_GROUPS

    @cached_property
    def parts(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for kind, i in self.order:
            if kind == "c":
                out.append({"kind": "c", "form": self.top.forms[i], "legend": f"Condition {i + 1}"})
            elif kind == "g":
                mode_form, formset = self.groups[i]
                mode = mode_form["mode"].value() or ""
                words = MODE_WORDS.get(mode, "any or all of")
                out.append(
                    {
                        "kind": "g",
                        "index": i,
                        "legend": f"Group {i + 1}: {words}",
                        "mode_form": mode_form,
                        "formset": formset,
                        "rows": [
                            (form, f"Group {i + 1}, condition {r + 1}")
                            for r, form in enumerate(formset.forms)
                        ],
                        "can_add": len(formset.forms) < MAX_ROWS,
                    }
                )
            else:
                item = self._kept_items.get(i)
                out.append(
                    {
                        "kind": "k",
                        "index": i,
                        "legend": f"Kept part {i + 1}, not editable here",
                        "json": self.kept[i],
                        "pretty": json.dumps(json.loads(self.kept[i]), indent=2)
                        if item is not None
                        else self.kept[i],
                        "description": describe(
                            item if isinstance(item, Group) else Group("all", [item])
                        )[len("patients ") :]
                        if item is not None
                        else "",
                        "reason": kept_reason(item) if item is not None else "",
                        "error": self._kept_errors.get(i, "") if self._validated else "",
                    }
                )
        return out

    @cached_property
    def error_summary(self) -> list[tuple[str, str]]:
        """(link target, message) for the error summary, in page order."""
        if not self._validated:
            return []
        out: list[tuple[str, str]] = []
        top_first = f"#id_{PREFIX}-0-column" if self.top.forms else "#id_mode_0"
        out += [(top_first, str(e)) for e in self.top.non_form_errors()]
        for part in self.parts:
            if part["kind"] == "c":
                out += _field_errors(part["form"], part["legend"])
            elif part["kind"] == "g":
                g = part["index"]
                first = f"#id_group-{g}-cond-0-column" if part["rows"] else f"#id_group-{g}-mode_0"
                out += [
                    (f"#id_group-{g}-mode_0", f"Group {g + 1}: {e}")
                    for e in part["mode_form"].errors.get("mode", [])
                ]
                out += [(first, str(e)) for e in part["formset"].non_form_errors()]
                for form, legend in part["rows"]:
                    out += _field_errors(form, legend)
            elif part["error"]:
                out.append((f"#kept-{part['index']}", part["error"]))
        return out


def _field_errors(form, legend: str) -> list[tuple[str, str]]:
    return [
        (f"#{form[name].id_for_label}", f"{legend}: {error}")
        for name, errors in form.errors.items()
        if name in form.fields
        for error in errors
    ]

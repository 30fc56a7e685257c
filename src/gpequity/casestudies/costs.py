"""Cost bands of the library's filter, from what a case study says it cost."""

from __future__ import annotations

from decimal import Decimal

BANDS: dict[str, str] = {
    "none": "No extra cost",
    "under_1k": "Under £1,000",
    "1k_5k": "£1,000 to £5,000",
    "5k_20k": "£5,000 to £20,000",
    "over_20k": "Over £20,000",
}


def band(amount: Decimal | float | None) -> str:
    """The band key for an amount in pounds; empty when the cost is not given."""
    if amount is None:
        return ""
    value = Decimal(str(amount))
    if value < 0:
        raise ValueError("a cost cannot be negative")
    if value == 0:
        return "none"
    if value < 1000:
        return "under_1k"
    if value <= 5000:
        return "1k_5k"
    if value <= 20000:
        return "5k_20k"
    return "over_20k"

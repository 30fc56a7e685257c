"""Continuity-of-care indices for one patient's consultations.

Each function takes the clinician ids of one patient's contacts in date order. An index
needs at least two contacts to mean anything, so fewer give None (not zero: a patient seen
once has no continuity to measure, which is different from poor continuity).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence


def _checked(sequence: Sequence[Hashable]) -> Sequence[Hashable] | None:
    if any(item is None for item in sequence):
        raise ValueError("clinician ids must not be missing; drop contacts without one first")
    return sequence if len(sequence) >= 2 else None


def upc(sequence: Sequence[Hashable]) -> float | None:
    """Usual Provider of Care: share of contacts with the most-seen clinician."""
    seq = _checked(sequence)
    if seq is None:
        return None
    return max(Counter(seq).values()) / len(seq)


def coc(sequence: Sequence[Hashable]) -> float | None:
    """Bice-Boxerman Continuity of Care index: (sum n_j^2 - n) / (n (n - 1)).

    0 when every contact is with a different clinician, 1 when all are with the same one.
    """
    seq = _checked(sequence)
    if seq is None:
        return None
    n = len(seq)
    return (sum(c * c for c in Counter(seq).values()) - n) / (n * (n - 1))


def secon(sequence: Sequence[Hashable]) -> float | None:
    """Sequential continuity: share of consecutive pairs of contacts with the same clinician."""
    seq = _checked(sequence)
    if seq is None:
        return None
    same = sum(1 for a, b in zip(seq, seq[1:], strict=False) if a == b)
    return same / (len(seq) - 1)


def mmci(sequence: Sequence[Hashable]) -> float | None:
    """Modified Modified Continuity Index (Magill and Senf 1987).

    MMCI = (1 - k / (n + 0.1)) / (1 - 1 / (n + 0.1)) with k distinct clinicians in n
    contacts (DATA.md): 1 when one clinician saw every contact, near 0 when each contact
    was with a different clinician.
    """
    seq = _checked(sequence)
    if seq is None:
        return None
    n = len(seq)
    k = len(set(seq))
    return (1.0 - k / (n + 0.1)) / (1.0 - 1.0 / (n + 0.1))

"""Continuity indices against the BJGP 2023 worked examples.

Sidaway-Lee K, Pereira Gray D, Evans P, Harding A. "Comparing continuity measures in
general practice" Br J Gen Pract 2023;73(731):279-282 (doi 10.3399/bjgp23X733161),
Table 2: UPC and Bice-Boxerman COC for twenty patients, printed to two decimals (one row,
ABB, prints 0.66 for two thirds, hence the 0.01 tolerance).
"""

import pytest

from gpequity.stats import coc, mmci, secon, upc

# (sequence of clinicians, UPC, COC) as printed in Table 2
BJGP_2023_TABLE_2 = [
    ("AA", 1, 1),
    ("AB", 0.5, 0),
    ("AAB", 0.67, 0.33),
    ("ABC", 0.33, 0),
    ("AABB", 0.5, 0.33),
    ("AABC", 0.5, 0.17),
    ("AAABBB", 0.5, 0.4),
    ("AAAABBBB", 0.5, 0.43),
    ("AAAABCDE", 0.5, 0.21),
    ("BB", 1, 1),
    ("AC", 0.5, 0),
    ("ABB", 0.66, 0.33),
    ("ACC", 0.66, 0.33),
    ("ABBC", 0.5, 0.17),
    ("AABBBC", 0.5, 0.27),
    ("AAABBBBC", 0.5, 0.32),
    ("AABBCCCC", 0.5, 0.29),
]


@pytest.mark.parametrize(("sequence", "expected_upc", "expected_coc"), BJGP_2023_TABLE_2)
def test_upc_and_coc_match_bjgp_2023_table_2(sequence, expected_upc, expected_coc):
    assert upc(list(sequence)) == pytest.approx(expected_upc, abs=0.01)
    assert coc(list(sequence)) == pytest.approx(expected_coc, abs=0.006)


def test_bjgp_2023_list_means():
    # Dr A's list (patients 2 to 10): mean UPC 0.56, mean COC 0.32
    list_a = ["AA", "AB", "AAB", "ABC", "AABB", "AABC", "AAABBB", "AAAABBBB", "AAAABCDE"]
    assert sum(upc(list(s)) for s in list_a) / len(list_a) == pytest.approx(0.56, abs=0.005)
    assert sum(coc(list(s)) for s in list_a) / len(list_a) == pytest.approx(0.32, abs=0.005)


def test_single_contact_cannot_be_calculated():
    # Table 2 prints "cannot calculate" for patients seen once.
    for index in (upc, coc, secon, mmci):
        assert index(["A"]) is None
        assert index([]) is None


def test_textbook_values():
    assert upc(["A", "A", "B", "A"]) == 0.75
    assert coc(["A", "A", "B", "A"]) == pytest.approx((9 + 1 - 4) / (4 * 3))


def test_secon_counts_consecutive_pairs_with_the_same_clinician():
    # ABAB: no consecutive repeat though UPC is 0.5; AABB: one of three pairs differs
    assert secon(list("ABAB")) == 0
    assert secon(list("AABB")) == pytest.approx(2 / 3)
    assert secon(list("AAAA")) == 1


def test_mmci_magill_senf_formula():
    """MMCI = (1 - k/(n+0.1)) / (1 - 1/(n+0.1)) (DATA.md), which simplifies to
    (n - k + 0.1) / (n - 0.9); the fractions below are worked by hand from it."""
    assert mmci(list("AAAA")) == pytest.approx(1.0)  # k=1: always 1
    assert mmci(list("AB")) == pytest.approx(1 / 11)  # (0.1/2.1)/(1.1/2.1)
    assert mmci(list("AAB")) == pytest.approx(11 / 21)  # (1.1/3.1)/(2.1/3.1)
    assert mmci(list("AABB")) == pytest.approx(21 / 31)  # (2.1/4.1)/(3.1/4.1)
    assert mmci(list("ABCD")) == pytest.approx(1 / 31)  # (0.1/4.1)/(3.1/4.1)
    assert mmci(list("ABCDE")) == pytest.approx(1 / 41)  # (0.1/5.1)/(4.1/5.1)
    assert mmci(list("AAAAAAAAAB")) == pytest.approx(81 / 91)  # (8.1/10.1)/(9.1/10.1)
    # order does not matter to MMCI, unlike SECON
    assert mmci(list("ABAB")) == mmci(list("AABB"))
    assert secon(list("ABAB")) != secon(list("AABB"))


def test_missing_clinician_is_rejected():
    with pytest.raises(ValueError):
        upc(["A", None, "A"])

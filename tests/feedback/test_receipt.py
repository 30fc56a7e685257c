"""Receipt codes: random, shown once, stored only as a salted slow hash."""

from __future__ import annotations

from gpequity.feedback import receipt


def test_code_shape_and_randomness():
    codes = {receipt.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 19 and code.count("-") == 3
        assert receipt.normalise(code) is not None


def test_hash_is_salted_and_checks_only_its_own_secret():
    lookup, secret = receipt.split(receipt.new_code())
    a, b = receipt.hash_secret(secret), receipt.hash_secret(secret)
    assert a != b  # a fresh salt each time
    assert secret not in a and lookup not in a
    assert receipt.check_secret(secret, a) and receipt.check_secret(secret, b)
    other = receipt.split(receipt.new_code())[1]
    assert not receipt.check_secret(other, a)
    assert not receipt.check_secret(secret, "md5$x$y")


def test_typed_codes_are_forgiving_of_case_spaces_and_lookalikes():
    code = "AB1C-0DEF-GH23-4JK5"
    assert receipt.normalise(" ab1c 0def-gh23 4jk5 ") == "AB1C0DEFGH234JK5"
    assert receipt.normalise("ABIC-ODEF-GH23-4JK5") == "AB1C0DEFGH234JK5"
    assert receipt.split(code) == ("AB1C", "0DEFGH234JK5")
    assert receipt.normalise("too short") is None

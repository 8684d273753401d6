"""The pure organisation model: codes, names, roles."""

from __future__ import annotations

import base64

from bot.org.codes import CODE_BYTES, hash_code, new_code, normalise, sender_hash
from bot.org.model import Role, clean_name, parse_role


def test_a_code_carries_at_least_64_random_bits_and_is_easy_to_type() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    code = next(iter(codes))
    assert len(code) == 19 and code.count("-") == 3
    raw = base64.b32decode(code.replace("-", ""))
    assert len(raw) == CODE_BYTES and CODE_BYTES * 8 >= 64


def test_a_code_is_recognised_in_any_case_with_or_without_dashes_and_after_start() -> None:
    code = new_code()
    plain = code.replace("-", "")
    for typed in (code, code.lower(), plain, f"start {code}", f"/start {plain}", f" {code} "):
        assert normalise(typed) == plain
    assert hash_code(code.lower()) == hash_code(code)


def test_ordinary_answers_are_not_codes() -> None:
    for text in (
        "ja",
        "C-2611",
        "start",
        "Moeder wil stoppen met de hulp",
        "1234567890123456",
        "hulp bij opvoeding",  # 16 letters without its spaces
        "ABCD EFGH JKLM NPQR",
    ):
        assert normalise(text) is None


def test_only_a_hash_of_a_code_or_a_sender_is_kept() -> None:
    code = new_code()
    assert code.replace("-", "") not in hash_code(code)
    assert len(hash_code(code)) == 64
    assert "5001" not in sender_hash("telegram", "5001")
    assert sender_hash("telegram", "5001") != sender_hash("matrix", "5001")


def test_a_display_name_is_pseudonymous_never_a_phone_number() -> None:
    assert clean_name("  Anna   de\tVries ") == "Anna de Vries"
    assert clean_name("+31 6 12345678") == "collega"
    assert clean_name("0612345678", fallback="Anna") == "Anna"
    assert clean_name("") == "collega"
    assert len(clean_name("x" * 300)) == 40


def test_roles_are_read_from_the_words_people_type() -> None:
    assert parse_role("Beheerder") is Role.BEHEERDER
    assert parse_role(" tcp ") is Role.TCP
    assert parse_role("baas") is None

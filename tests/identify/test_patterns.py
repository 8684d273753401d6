"""The pattern checks and the finding helpers, one behaviour per test (no lookup lists)."""

from __future__ import annotations

import pytest

from bot.identify import Finding, Kind, PatternDetector, describe, redact

DETECT = PatternDetector()


def kinds(text: str) -> list[tuple[Kind, str]]:
    return [(f.kind, f.text) for f in DETECT.find(text)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("BSN 111222333", [(Kind.BSN, "111222333")]),
        ("dossier 987654321", []),  # nine digits without a valid elfproef
        ("rekening NL91ABNA0417164300 graag", [(Kind.IBAN, "NL91ABNA0417164300")]),
        ("rekening NL91ABNA0417164301", []),  # wrong check digits
        ("bel 06-12345678", [(Kind.PHONE, "06-12345678")]),
        ("Veilig Thuis: 0800-2000", []),  # a free service number is no person
        ("bel 112", []),
        ("mail a.b@example.nl", [(Kind.EMAIL, "a.b@example.nl")]),
        ("postcode 3511 AB", [(Kind.POSTCODE, "3511 AB")]),
        ("geboren op 3 mei 2012", [(Kind.BIRTH_DATE, "3 mei 2012")]),
        ("het overleg was op 3 mei 2026", []),  # a date alone is no birth date
        ("hij is 14 jaar", [(Kind.AGE, "14 jaar")]),
        ("al 3 jaar in beeld", []),  # a period, not an age
        ("de 16-jarige", [(Kind.AGE, "16-jarige")]),
        ("op basisschool De Regenboog", [(Kind.INSTITUTION, "basisschool De Regenboog")]),
        ("de school is dicht", []),
    ],
)
def test_patterns(text: str, found: list[tuple[Kind, str]]) -> None:
    assert kinds(text) == found


def test_describe_names_the_words_in_one_sentence() -> None:
    one = [Finding(0, 11, Kind.NAME, "Daan Jansen")]
    assert describe(one) == "«Daan Jansen» lijkt een naam."
    two = [*one, Finding(20, 31, Kind.PHONE, "06-12345678")]
    assert (
        describe(two) == "«Daan Jansen» lijkt een naam en «06-12345678» lijkt een telefoonnummer."
    )


def test_redact_replaces_each_finding_by_a_neutral_word() -> None:
    text = "Daan Jansen belt 06-12345678."
    findings = [
        Finding(0, 11, Kind.NAME, "Daan Jansen"),
        Finding(17, 28, Kind.PHONE, "06-12345678"),
    ]
    assert redact(text, findings) == "[naam] belt [telefoon]."


def test_overlapping_findings_keep_the_longer_one() -> None:
    text = "op basisschool De Regenboog"
    findings = [
        Finding(15, 27, Kind.NAME, "De Regenboog"),
        Finding(3, 27, Kind.INSTITUTION, "basisschool De Regenboog"),
    ]
    assert redact(text, findings) == "op [instelling]"

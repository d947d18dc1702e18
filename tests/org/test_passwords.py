from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from hygie.org.passwords import (
    PasswordPolicy,
    WeakPasswordError,
    check_password,
    hash_password,
    is_common,
    needs_rehash,
    require_strong_password,
    verify_password,
)


def codes(password: str, **kwargs: object) -> set[str]:
    return {p.code for p in check_password(password, **kwargs)}  # type: ignore[arg-type]


def test_a_long_varied_password_passes() -> None:
    assert codes("Vx7#qLm2pR9w") == set()  # 12 characters, 4 classes


def test_too_short_and_too_few_classes() -> None:
    assert codes("Ab3#efg") == {"too_short"}  # 7 characters, 4 classes
    assert codes("qzvbnmxkwrtp") == {"too_few_classes"}  # 12 lower-case letters only


def test_a_long_passphrase_needs_no_variety() -> None:
    assert codes("girafe pivoine lanterne") == set()  # 23 characters, lower case and spaces
    assert codes("girafepivoinela") == {"too_few_classes"}  # 15 characters: not yet a passphrase


@pytest.mark.parametrize(
    "password",
    [
        "motdepasse",
        "Azerty123456!",
        "Soleil2024!!",
        "H0pital2025!",
        "CHU2024!!!!!",
        "123456789012",
        "P@ssw0rd2026!",
    ],
)
def test_common_passwords_are_refused(password: str) -> None:
    assert "common" in codes(password)


def test_common_check_does_not_catch_a_word_inside_a_phrase() -> None:
    assert not is_common("soleil-violet-sur-le-port")


def test_name_or_address_inside_is_refused() -> None:
    found = codes("Dupont#2026xyz", email="marie.dupont@chu-exemple.fr", name="Marie Dupont")
    assert found == {"contains_identity"}
    assert "contains_identity" in codes("Xk9#Mar1e-marie!", name="Marie Dupont")


def test_repetitive_password_is_refused() -> None:
    assert "too_repetitive" in codes("aaaaaaaaaaaaaaaaaaaa")


def test_policy_is_configurable() -> None:
    strict = PasswordPolicy(min_length=16, passphrase_length=24)
    assert codes("Vx7#qLm2pR9w", policy=strict) == {"too_short"}


def test_every_reason_in_french_and_english() -> None:
    with pytest.raises(WeakPasswordError) as caught:
        require_strong_password("azerty", lang="en")
    problems = caught.value.problems
    assert {p.code for p in problems} == {"too_short", "too_few_classes", "common"}
    assert "at least 12 characters" in str(caught.value)
    assert problems[0].message("fr") == "il faut au moins 12 caractères"


def test_argon2id_hash_verifies_and_rehashes_old_parameters() -> None:
    stored = hash_password("Vx7#qLm2pR9w")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "Vx7#qLm2pR9w")
    assert not verify_password(stored, "Vx7#qLm2pR9W")
    assert not verify_password("not a hash", "x")
    assert not needs_rehash(stored)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("Vx7#qLm2pR9w")
    assert needs_rehash(weak)

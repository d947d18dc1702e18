"""Password rules and argon2id hashing.

The policy follows the spirit of ANSSI's guidance on authentication and passwords (2021): what
makes a password strong is mostly its length and its unpredictability, so the rules are a
minimum length, some variety of characters unless the password is a long passphrase, and a
refusal of the obvious (the user's own name or address, the passwords everyone tries first).
The thresholds are settings: review them against the guide in force before changing them.

Hashing uses argon2-cffi's ``PasswordHasher`` with its defaults (argon2id, RFC 9106 low-memory
profile); a hash made with older parameters is rehashed at the next successful sign-in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hygie.core.errors import ValidationError
from hygie.core.i18n import normalise_language

HASHER = PasswordHasher()

# Written for Hygie from the usual suspects: French and English words people pick, keyboard
# rows, the hospital vocabulary. Compared after lower-casing, undoing l33t and stripping the
# digits and symbols around the word, so "Soleil2024!" and "H0pital" are caught too.
COMMON_WORDS = frozenset(
    {
        "password", "passw0rd", "motdepasse", "mdp", "secret", "admin", "administrateur",
        "root", "user", "utilisateur", "welcome", "bienvenue", "bonjour", "salut", "coucou",
        "azerty", "azertyuiop", "qwerty", "qwertyuiop", "qwertz", "abc", "abcdef", "abcd",
        "soleil", "chouchou", "doudou", "loulou", "nicolas", "julien", "camille", "marseille",
        "paris", "lyon", "france", "football", "dragon", "monkey", "iloveyou", "jetaime",
        "princesse", "chocolat", "liverpool", "superman", "batman", "letmein", "changeme",
        "hopital", "hospital", "clinique", "clinic", "chu", "ch", "chr", "ght", "sante",
        "infirmier", "infirmiere", "medecin", "docteur", "patient", "urgences", "bloc",
        "hygie", "test", "demo", "default", "temp", "toto", "tata", "titi",
    }
)  # fmt: skip
# Sequences that are weak whatever surrounds them.
COMMON_SEQUENCES = ("123456", "654321", "azerty", "qwerty", "abcdef", "motdepasse", "password")
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s"})
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")

MESSAGES: dict[str, dict[str, str]] = {
    "too_short": {
        "en": "at least %(min_length)d characters are required",
        "fr": "il faut au moins %(min_length)d caractères",
    },
    "too_long": {
        "en": "at most %(max_length)d characters are accepted",
        "fr": "%(max_length)d caractères au plus sont acceptés",
    },
    "too_few_classes": {
        "en": "mix at least %(min_classes)d kinds of characters (lower case, upper case, digits, "
        "symbols), or use a passphrase of at least %(passphrase_length)d characters",
        "fr": "mélangez au moins %(min_classes)d types de caractères (minuscules, majuscules, chiffres, "
        "symboles), ou choisissez une phrase de passe d'au moins %(passphrase_length)d caractères",
    },
    "too_repetitive": {
        "en": "too repetitive: at least %(min_distinct)d different characters are required",
        "fr": "trop répétitif : il faut au moins %(min_distinct)d caractères différents",
    },
    "contains_identity": {
        "en": "must not contain your name or e-mail address",
        "fr": "ne doit contenir ni votre nom ni votre adresse électronique",
    },
    "common": {
        "en": "too common: it is among the first passwords an attacker tries",
        "fr": "trop courant : il fait partie des premiers mots de passe qu'un attaquant essaie",
    },
}


@dataclass(frozen=True)
class PasswordPolicy:
    """The rules a new password must meet; every threshold can be changed."""

    min_length: int = 12
    passphrase_length: int = 16  # from this length, variety of characters is not required
    min_classes: int = 3  # out of lower case, upper case, digits, symbols
    min_distinct: int = 5
    max_length: int = 1024  # hashing a megabyte on every attempt would be a denial of service
    common_words: frozenset[str] = field(default=COMMON_WORDS)


DEFAULT_POLICY = PasswordPolicy()


@dataclass(frozen=True)
class PasswordProblem:
    """One rule a password breaks; ``message(lang)`` explains it in French or English."""

    code: str
    params: dict[str, int] = field(default_factory=dict)

    def message(self, lang: str = "fr") -> str:
        return MESSAGES[self.code][normalise_language(lang)] % self.params


class WeakPasswordError(ValidationError):
    """A new password breaks the policy; ``problems`` lists every rule it breaks."""

    def __init__(self, problems: list[PasswordProblem], lang: str = "fr") -> None:
        self.problems = problems
        super().__init__("; ".join(p.message(lang) for p in problems))


def character_classes(password: str) -> int:
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    return sum(classes)


def _fold(text: str) -> str:
    """Lower case without accents, so that "Hôpital" and "hopital" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_common(password: str, words: frozenset[str] = COMMON_WORDS) -> bool:
    folded = _fold(password)
    if any(sequence in folded for sequence in COMMON_SEQUENCES):
        return True
    core = _EDGES.sub("", folded)
    # Digits and symbols only, or a known word dressed up (l33t undone after the edges are gone).
    return not core or core in words or core.translate(_LEET) in words


def _identity_parts(email: str | None, name: str | None) -> list[str]:
    parts: list[str] = []
    if email:
        local = _fold(email).split("@", 1)[0]
        parts.append(local)
        parts.extend(re.split(r"[._+\-]", local))
    if name:
        parts.extend(re.split(r"[\s'’\-]+", _fold(name)))
    return [p for p in parts if len(p) >= 3]


def check_password(
    password: str,
    *,
    email: str | None = None,
    name: str | None = None,
    policy: PasswordPolicy = DEFAULT_POLICY,
) -> list[PasswordProblem]:
    """Every rule of ``policy`` that ``password`` breaks; empty when it is acceptable."""
    problems: list[PasswordProblem] = []
    if len(password) < policy.min_length:
        problems.append(PasswordProblem("too_short", {"min_length": policy.min_length}))
    if len(password) > policy.max_length:
        problems.append(PasswordProblem("too_long", {"max_length": policy.max_length}))
    if len(password) < policy.passphrase_length and character_classes(password) < policy.min_classes:
        problems.append(
            PasswordProblem(
                "too_few_classes",
                {"min_classes": policy.min_classes, "passphrase_length": policy.passphrase_length},
            )
        )
    if len(set(password)) < policy.min_distinct:
        problems.append(PasswordProblem("too_repetitive", {"min_distinct": policy.min_distinct}))
    folded = _fold(password)
    if any(part in folded for part in _identity_parts(email, name)):
        problems.append(PasswordProblem("contains_identity"))
    if is_common(password, policy.common_words):
        problems.append(PasswordProblem("common"))
    return problems


def require_strong_password(
    password: str,
    *,
    email: str | None = None,
    name: str | None = None,
    policy: PasswordPolicy = DEFAULT_POLICY,
    lang: str = "fr",
) -> None:
    """Raises WeakPasswordError listing every broken rule."""
    problems = check_password(password, email=email, name=name, policy=policy)
    if problems:
        raise WeakPasswordError(problems, lang)


def hash_password(password: str, hasher: PasswordHasher = HASHER) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str, password: str, hasher: PasswordHasher = HASHER) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, hasher: PasswordHasher = HASHER) -> bool:
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Computed lazily: hashing at import time would slow every command.
    return hasher.hash("hygie: no such account")


def burn_time(password: str, hasher: PasswordHasher = HASHER) -> None:
    """Verifies against a throwaway hash, so that an unknown account costs as long as a known one."""
    verify_password(_dummy_hash(hasher), password, hasher)

"""Every message in the code and the templates has a French translation, and none is fuzzy."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from hygie.core import i18n

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "hygie"


def _extracted() -> set[str | tuple[str, ...]]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    ids: set[str | tuple[str, ...]] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(SRC), method_map, options_map
    ):
        ids.add(message)
    return ids


def _catalogue(lang: str):  # type: ignore[no-untyped-def]
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def test_extraction_finds_python_and_template_messages() -> None:
    ids = _extracted()
    assert "Governance" in ids  # N_() in reports/vocabulary.py
    assert "Maturity by dimension" in ids  # gettext() in reports/charts.py and _() in a template
    assert "Key points" in ids  # template only
    assert ("%(num)s bed", "%(num)s beds") in ids  # ngettext() in a template


def test_every_message_has_a_french_translation() -> None:
    french = _catalogue("fr")
    missing = []
    for message_id in sorted(_extracted(), key=str):
        key = message_id[0] if isinstance(message_id, tuple) else message_id
        entry = french.get(key)
        strings = entry.string if entry is not None else None
        forms = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or not all(forms):
            missing.append(message_id)
    assert missing == [], f"untranslated in fr (see babel.cfg to update the catalogues): {missing}"


def test_every_catalogue_message_is_found_in_the_code() -> None:
    # A gettext call inside an f-string is invisible to the extraction (Python 3.11 keeps f-strings
    # as one token): its entry would be dropped by the next catalogue update, and the text with it.
    extracted = {m[0] if isinstance(m, tuple) else m for m in _extracted()}
    unused = sorted(
        str(m.id)
        for m in _catalogue("fr")
        if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in extracted
    )
    assert unused == [], f"in the catalogue but not extracted from the code: {unused}"


def test_french_catalogue_has_no_fuzzy_entry() -> None:
    fuzzy = [message.id for message in _catalogue("fr") if message.id and message.fuzzy]
    assert fuzzy == []
    assert not _catalogue("fr").fuzzy  # the header itself


def test_english_catalogue_lists_the_same_messages() -> None:
    french_ids = {message.id for message in _catalogue("fr") if message.id}
    english_ids = {message.id for message in _catalogue("en") if message.id}
    assert english_ids == french_ids


def test_translations_at_run_time() -> None:
    assert i18n.gettext("Governance", "fr") == "Gouvernance"
    assert i18n.gettext("Governance", "en") == "Governance"
    assert i18n.ngettext("%(num)s bed", "%(num)s beds", 1, "fr") == "%(num)s lit"
    assert i18n.ngettext("%(num)s bed", "%(num)s beds", 420, "fr") == "%(num)s lits"
    assert i18n.ngettext("%(num)s bed", "%(num)s beds", 420, "en") == "%(num)s beds"
    assert i18n.gettext("Governance", "de-DE") == "Gouvernance"  # unknown language: French
    assert i18n.N_("Governance") == "Governance"
    assert i18n.babel_locale("en") == "en_GB"

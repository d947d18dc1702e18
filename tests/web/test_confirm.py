"""Forms that delete, revoke or close something ask first (static/confirm.js reads ``data-confirm``;
the htmx forms use ``hx-confirm``). The browser side is in tests/e2e/test_pages.py."""

from __future__ import annotations

import re
from pathlib import Path

import hygie

TEMPLATES = sorted(Path(hygie.__file__).parent.rglob("templates/**/*.html"))
FORM = re.compile(r"<form\b(?P<tag>[^>]*)>(?P<body>.*?)</form>", re.DOTALL)
DESTRUCTIVE_ACTION = re.compile(r'action="[^"]*/(delete|revoke|close|logout-everywhere|recovery-codes)"')


def destructive_forms_without_question() -> list[str]:
    missing = []
    for template in TEMPLATES:
        text = template.read_text(encoding="utf-8")
        for form in FORM.finditer(text):
            tag, body = form["tag"], form["body"]
            destructive = DESTRUCTIVE_ACTION.search(tag) or "button danger" in body
            # htmx sends from its own listener on the form, before confirm.js's on the document.
            asks = "hx-confirm=" in tag if "hx-post=" in tag else "data-confirm=" in tag
            if destructive and not asks:
                line = text.count("\n", 0, form.start()) + 1
                missing.append(f"{template.relative_to(Path(hygie.__file__).parent)}:{line}")
    return missing


def test_every_destructive_form_asks_first() -> None:
    assert len(TEMPLATES) > 50
    assert destructive_forms_without_question() == []


def test_the_check_finds_a_form_that_does_not_ask() -> None:
    assert FORM.search('<form method="post" action="/x/3/delete"><button>Go</button></form>')
    assert DESTRUCTIVE_ACTION.search(' method="post" action="/e/1/rules/2/delete"')
    assert not DESTRUCTIVE_ACTION.search(' method="post" action="/e/1/rules"')


def test_every_page_loads_the_confirmation_script() -> None:
    base = (Path(hygie.__file__).parent / "web" / "templates" / "base.html").read_text(encoding="utf-8")
    assert '<script src="/static/confirm.js" defer></script>' in base
    script = (Path(hygie.__file__).parent / "web" / "static" / "confirm.js").read_text(encoding="utf-8")
    assert 'getAttribute("data-confirm")' in script and "preventDefault" in script

"""Language: French by default, English from ?lang= or the switch's cookie."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_french_by_default(client: TestClient) -> None:
    page = client.get("/login")
    assert '<html lang="fr">' in page.text
    assert "Se connecter" in page.text and "Mot de passe" in page.text


def test_english_from_the_query(client: TestClient) -> None:
    page = client.get("/login?lang=en")
    assert '<html lang="en">' in page.text and "Password" in page.text
    assert '<html lang="fr">' in client.get("/login").text  # only for that request


def test_the_switch_remembers_the_choice(client: TestClient) -> None:
    switched = client.get("/lang/en?next=/login")
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    assert client.cookies["hygie_lang"] == "en"
    assert "Sign in" in client.get("/login").text
    assert "Se connecter" in client.get("/login?lang=fr").text  # the query wins over the cookie
    assert client.get("/lang/en?next=https://evil.example").headers["location"] == "/"


def test_french_whatever_the_browser_says(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="fr">' in page.text and "Se connecter" in page.text


def test_the_switch_links_to_the_other_language(client: TestClient) -> None:
    page = client.get("/login").text
    assert 'href="/lang/en?next=/login"' in page

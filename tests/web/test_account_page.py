"""Account page: TOTP enrolment with its QR code, recovery codes, tokens from the page."""

from __future__ import annotations

import re

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.org.models import Role
from hygie.org.totp import remaining_recovery_codes
from tests.factories import make_establishment
from tests.web.conftest import csrf_from, login, make_user


def test_enrol_totp_then_recovery_codes(client: TestClient, session: Session) -> None:
    user = make_user(session)
    login(client)
    token = csrf_from(client.get("/account").text)
    enrol = client.post("/account/totp/enrol", data={"csrf_token": token})
    assert enrol.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in enrol.text
    secret = re.search(r'<span class="secret">([A-Z2-7]+)</span>', enrol.text)
    assert secret is not None
    wrong = client.post("/account/totp/confirm", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 422
    session.expire_all()
    assert not user.totp_enabled

    client.post("/account/totp/enrol", data={"csrf_token": token})
    session.expire_all()
    assert user.totp_secret is not None
    done = client.post(
        "/account/totp/confirm", data={"csrf_token": token, "code": pyotp.TOTP(user.totp_secret).now()}
    )
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.text)
    assert len(codes) == 10
    session.expire_all()
    assert user.totp_enabled and remaining_recovery_codes(session, user) == 10


def test_the_switcher_lists_only_visible_establishments(client: TestClient, session: Session) -> None:
    mine = make_establishment(session, name="CH Visible")
    make_establishment(session, name="CH Invisible")
    make_user(session, role=Role.MANAGEMENT, establishment_id=mine.id)
    login(client)
    assert client.get("/").headers["location"] == f"/e/{mine.id}/dashboard"
    page = client.get(f"/e/{mine.id}")
    assert "CH Visible" in page.text and "CH Invisible" not in page.text
    assert "établissement" in client.get("/establishments").text.lower()

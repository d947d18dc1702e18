"""Answering a question of the open campaign and attaching a piece of evidence, in the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from hygie.demo import hospital
from tests.e2e.conftest import DemoServer, screenshot, sign_in, use_htmx

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_rssi_answers_a_question_with_evidence(page: Page, demo_server: DemoServer, htmx: bool) -> None:
    use_htmx(page, htmx)
    sign_in(page, demo_server.e2e)
    page.goto(demo_server.path("/dashboard"))
    page.locator("nav.main-nav").get_by_role("link", name="Évaluation").click()
    expect(page).to_have_url(f"{demo_server.url}{demo_server.path('/assess')}")
    variant = "htmx" if htmx else "plain"
    # Both variants answer the same first question: each attaches its own file.
    evidence_name = f"procedure-sauvegardes-{variant}.pdf"
    evidence = f"%PDF-1.4\n% Hygie e2e evidence ({variant})\n".encode()
    if htmx:  # the same pages both ways; the questionnaire is long, its screenshot slow
        screenshot(page, "assess-campaigns")
    base = demo_server.path(f"/assess/{demo_server.campaign_id}")
    page.locator(f"main a[href='{base}']").first.click()
    expect(page.locator("h1")).to_contain_text(hospital.SECOND_CAMPAIGN[0])
    # The questionnaire is long: htmx (deferred) takes over its forms only once the page has loaded;
    # a click before that posts the plain form, which works too but is not what this variant checks.
    page.wait_for_load_state("load")
    if htmx:
        screenshot(page, "assess-questionnaire")

    # The first question of the questionnaire: its answer form posts to .../controls/<id>.
    answer_form = page.locator(
        f"form[action^='{base}/controls/']:not([action$='/evidence']):not([action$='/links'])"
    ).first
    action = answer_form.get_attribute("action")
    assert action is not None
    control_id = action.rsplit("/", 1)[1]
    item = page.locator(f"#control-{control_id}")
    answer_form.locator("input[name=status][value=level]").check()
    answer_form.locator("input[name=level][value='3']").check()
    answer_form.locator("textarea[name=comment]").fill("Procédure relue en comité, voir la pièce jointe.")
    answer_form.locator("button[type=submit]").click()
    # Wait for the answer to be back before using the evidence form (the old one would go stale).
    if htmx:  # the control is swapped in place, with a notice
        expect(item.locator("[role=status]")).to_have_text("Réponse enregistrée.")
    else:  # the page comes back at the control's anchor
        page.wait_for_url(f"{demo_server.url}{base}#control-{control_id}")
    expect(item.locator("input[name=level][value='3']")).to_be_checked()

    evidence_form = page.locator(f"form[action='{action}/evidence']")
    evidence_form.locator("input[type=file]").set_input_files(
        files=[{"name": evidence_name, "mimeType": "application/pdf", "buffer": evidence}]
    )
    evidence_form.locator("button[type=submit]").click()
    expect(item).to_contain_text(evidence_name)

    page.reload()
    expect(item.locator("input[name=status][value=level]")).to_be_checked()
    expect(item.locator("input[name=level][value='3']")).to_be_checked()
    expect(item.locator("textarea[name=comment]")).to_have_value(
        "Procédure relue en comité, voir la pièce jointe."
    )
    link = item.get_by_role("link", name=evidence_name)
    expect(link).to_have_count(1)
    # The questionnaire is long (its full page is above): the answered question alone.
    screenshot(item, f"assess-answered-{variant}")

    # The evidence comes back byte for byte.
    with page.expect_download() as waiting:
        link.click()
    path = waiting.value.path()
    assert path.read_bytes() == evidence

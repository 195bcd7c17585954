"""In a real browser: a tenant admin sets the body's address and seal from the body's home page,
then sees a refusal that names a character certificates cannot print; English and Chinese, on a
desktop and a phone."""

import pytest

from tenants.models import Tenant
from tenants.roles import Role
from tests.conftest import SCREENSHOTS
from tests.test_browser_grid import DESKTOP, PHONE, login, serious_violations
from tests.test_particulars import png

pytestmark = [pytest.mark.browser]

WORDS = {
    "en": {"card": "Body particulars", "saved": "Body particulars saved.", "refused": "U+1F680"},
    "zh-hans": {"card": "机构信息", "saved": "机构信息已保存。", "refused": "U+1F680"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_tenant_admin_sets_the_address_and_seal(
    tenant, member, pdf_settings, live_server, browser_page, tmp_path, language
):
    page, base = browser_page, live_server.url
    words = WORDS[language]
    admin = member(Role.TENANT_ADMIN)
    seal = tmp_path / "seal.png"
    seal.write_bytes(png())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    login(page, base, admin, language)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/t/{tenant.slug}/")
    page.click(f"a.card:has-text('{words['card']}')")
    page.fill("input[name=address]", "北京市西城区示例街8号")
    page.fill("input[name=accreditation_body]", "CNAS")
    page.set_input_files("input[name=seal]", str(seal))
    page.click("main form.card button[type=submit]")
    page.wait_for_selector(f"text={words['saved']}")
    page.wait_for_selector("img.particulars-image")
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"{base}/t/{tenant.slug}/particulars/")
        assert serious_violations(page) == []
        page.screenshot(
            path=str(SCREENSHOTS / f"particulars-{language}-{name}.png"), full_page=True
        )
    page.set_viewport_size(DESKTOP)
    page.fill("input[name=address]", "Rocket Street \U0001f680")
    page.click("main form.card button[type=submit]")
    page.wait_for_selector(f"text={words['refused']}")
    assert serious_violations(page) == []

    saved = Tenant.objects.get(pk=tenant.pk)
    assert saved.address == "北京市西城区示例街8号" and saved.seal

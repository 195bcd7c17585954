"""The public directory in a real browser, without logging in: English and Chinese, desktop and
phone; axe-core finds nothing critical or serious; searching a full-width name finds it."""

import pytest

from tests.conftest import SCREENSHOTS
from tests.factories import TenantFactory
from tests.factories_assessments import make_model_version
from tests.test_browser_grid import DESKTOP, PHONE, serious_violations
from tests.test_directory import certificate, consenting

pytestmark = [pytest.mark.browser]


@pytest.fixture
def listed(transactional_db):
    body = TenantFactory(
        slug="publisher", name="Publishing Body", name_zh="示范认证机构", publish_directory=True
    )
    version = make_model_version(domains=2, items_per_domain=1)
    certificate(consenting(body, "深圳华为技术有限公司", "Huawei Technologies Co., Ltd."), version)
    certificate(
        consenting(body, "北京星辰软件有限公司", "Star Software Ltd."),
        version,
        status="suspended",
        scope=("D0", "D1"),
    )
    certificate(consenting(body, "上海远航数据有限公司"), version, status="withdrawn")
    return body


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_visitor_searches_the_directory(live_server, browser_page, listed, language, viewport):
    page = browser_page
    page.set_viewport_size(DESKTOP if viewport == "desktop" else PHONE)
    page.goto(live_server.url + "/directory/")
    if language != "en":
        with page.expect_navigation():
            page.select_option("#language", language)
    assert page.locator(".directory-results > li").count() == 3
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"directory-{language}-{viewport}.png"), full_page=True)
    assert serious_violations(page) == []
    page.fill("#id_q", "ＨＵＡＷＥＩ")
    with page.expect_navigation():
        page.click("button[type=submit].btn")
    assert page.locator(".directory-results > li").count() == 1
    assert "深圳华为技术有限公司" in page.content()
    assert serious_violations(page) == []

"""The moderator pages in a real browser: Debian's headless Chromium, driven by Playwright,
against `tokenscam serve` on a free loopback port.

Chromium comes from apt (`.ci/run` installs it); without it these tests skip and say so.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from service_helpers import LiveServer

CHROMIUM = os.environ.get("TOKENSCAM_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCAM = "现在不囤词元，以后买不起！加薇信 tk_8888 私聊"
XSS = '<script>alert(1)</script>" onmouseover="alert(2)'
MODERATOR = ("mod_wang", "browser-test-password")
# Messages that may land in review with the shipped model; the test picks those that do.
REVIEW_PROBES = ["加V私聊，内部渠道三折", "加我微信了解一下词元", "词元内部价，私聊"]

if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
    pytest.skip(
        f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium; "
        ".ci/run does this)",
        allow_module_level=True,
    )
from playwright import sync_api  # noqa: E402 - after the skip: only chromium may be missing


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("browser") / "instance"
    live = LiveServer(instance, workers=1, STORE_TEXT="true")
    try:
        live.wait_ready()
        # the moderator account is made the way an operator makes it
        done = subprocess.run(
            [sys.executable, "-m", "tokenscam", "users", "add", MODERATOR[0], "--password-stdin"],
            input=MODERATOR[1] + "\n",
            env=live.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    p = context.new_page()
    p.set_default_timeout(15_000)
    p.dialogs = []  # type: ignore[attr-defined]
    p.on("dialog", lambda d: (p.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    yield p
    context.close()


def _check(server, page, text: str) -> None:
    page.goto(server.url + "/")
    page.fill("#messages", text)
    with page.expect_navigation():
        page.click("#submit")
    page.wait_for_selector("#results")


def test_form_shows_highlighted_evidence(server, page) -> None:
    _check(server, page, SCAM)
    result = page.locator("article.result").first
    assert "block" in (result.get_attribute("class") or "")
    marks = result.locator("mark.tactic").all_inner_texts()
    assert "加薇信" in marks and "现在不囤" in marks
    # the highlight is visible: the browser gives <mark> a background of its own
    bg = result.locator("mark.tactic").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert bg not in ("rgba(0, 0, 0, 0)", "transparent")
    assert result.locator("meter").count() == 1


def test_xss_payload_is_shown_as_text(server, page) -> None:
    _check(server, page, XSS + " 加薇信私聊")
    text = page.locator("article.result p.text").first
    assert XSS in text.inner_text()
    text.hover()
    page.mouse.move(5, 5)
    assert page.locator("#results script").count() == 0
    assert page.locator("[onmouseover]").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_sign_in_and_decide_a_review_item(server, page, detector) -> None:
    review = [t for t in REVIEW_PROBES if detector.score(t).verdict == "review"]
    assert review, "none of the probe messages lands in review: update REVIEW_PROBES"
    target = review[0]
    _check(server, page, target)
    assert "已加入审核队列" in page.inner_text("#results")

    page.goto(server.url + "/review")
    assert "/login" in page.url  # the queue needs sign-in
    page.fill("#username", MODERATOR[0])
    page.fill("#password", MODERATOR[1])
    with page.expect_navigation():
        page.click("#login")
    assert page.url == server.url + "/review"
    item = page.locator("article.result", has_text=target).first
    item_id = int((item.get_attribute("id") or "").removeprefix("item-"))
    item.locator("input[value=scam]").check()
    item.locator("input[name=note]").fill("浏览器测试：引流话术")
    with page.expect_navigation():
        item.locator("button[type=submit]").click()
    assert page.url.startswith(server.url + "/review")
    assert page.locator(f"#item-{item_id}").count() == 0

    with sqlite3.connect(server.instance / "tokenscam.sqlite3") as db:
        rows = db.execute(
            "SELECT d.label, d.note, u.username FROM decisions d JOIN users u "
            "ON u.id = d.user_id WHERE d.item_id = ?",
            (item_id,),
        ).fetchall()
    assert rows == [("scam", "浏览器测试：引流话术", MODERATOR[0])]

    page.goto(server.url + "/review/history")
    assert "浏览器测试：引流话术" in page.inner_text("body")

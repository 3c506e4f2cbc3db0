"""The web app's shell in Chromium, on both topologies: a page behind login sends a visitor to the
login form and, after login, back to the page asked for (the links of SMS and notification texts)."""

from __future__ import annotations

from tests.web.conftest import register


def test_a_page_behind_login_returns_after_login(app_server, new_context):
    member = register(app_server.base)
    context = new_context()
    page = context.new_page()
    page.goto(app_server.base + "/notifications?x=1")
    assert page.url == app_server.base + "/login?next=/notifications?x=1"
    page.get_by_label("Username").fill(member.username)
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(app_server.base + "/notifications?x=1")
    page.wait_for_function("() => window.collectiveApp.rt.state === 'open'")
    assert page.locator("#topbar").inner_text().count(f"@{member.username}") == 1


def test_login_refuses_a_next_of_another_site(app_server, new_context):
    member = register(app_server.base)
    page = new_context().new_page()
    page.goto(app_server.base + "/login?next=//evil.example/x")
    page.get_by_label("Username").fill(member.username)
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(app_server.base + "/home")


def test_wrong_password_is_shown_on_the_form(app_server, new_context):
    member = register(app_server.base)
    page = new_context().new_page()
    page.goto(app_server.base + "/login")
    page.get_by_label("Username").fill(member.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text().strip()
    assert page.url == app_server.base + "/login"

"""Accounts: registration, log-in, throttling, CSRF, roles, API tokens."""
from __future__ import annotations

from datetime import timedelta

from booking.extensions import db
from booking.models import ApiToken, User

from support import PASSWORD, csrf_token


def register(client, **fields):
    data = {"email": "founder@startup.cn", "name": "Li Lei", "organisation": "Qiming Robotics",
            "password": "s3cret-pass", "confirm": "s3cret-pass", "language": "en"}
    data.update(fields)
    data["csrf_token"] = csrf_token(client, "/register")
    return client.post("/register", data=data)


def test_register_stores_a_hash_and_waits_for_the_address(client, auth):
    response = register(client)
    assert response.status_code == 302
    user = db.session.query(User).filter_by(email="founder@startup.cn").one()
    assert user.password_hash != "s3cret-pass" and user.check_password("s3cret-pass")
    assert user.role == "user" and user.language == "en"
    assert user.email_verified_at is None  # confirmed through the mailed link (tests/test_account_basics.py)
    auth.login("founder@startup.cn", "s3cret-pass")
    page = client.get("/account").get_data(as_text=True)
    assert "founder@startup.cn" in page


def test_register_refuses_bad_input_and_keeps_nothing(client):
    response = register(client, email="not-an-email", confirm="other")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The passwords differ" in html or "两次输入的密码不一致" in html
    assert db.session.query(User).count() == 0


def test_register_twice_makes_no_second_account(client, make_user):
    make_user(email="founder@startup.cn")
    response = register(client)
    assert response.status_code == 302  # the same answer as for a new address (its owner gets a mail)
    assert db.session.query(User).count() == 1


def test_login_and_logout(client, auth, make_user):
    make_user(email="a@example.com")
    assert auth.login("a@example.com").status_code == 302
    assert client.get("/account").status_code == 200
    auth.logout()
    assert client.get("/account").status_code == 302


def test_wrong_password_is_refused(client, auth, make_user):
    make_user(email="a@example.com")
    response = auth.login("a@example.com", "wrong password")
    assert response.status_code == 401
    assert client.get("/account").status_code == 302


def test_login_is_throttled_after_repeated_failures(client, auth, make_user, app):
    make_user(email="a@example.com")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert auth.login("a@example.com", "guess").status_code == 401
    # Even the right password is refused while throttled.
    assert auth.login("a@example.com").status_code == 429
    assert client.post("/api/v1/tokens", json={"email": "a@example.com", "password": PASSWORD}).status_code == 429


def test_token_requests_are_throttled(client, make_user, app):
    make_user(email="a@example.com")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = client.post("/api/v1/tokens", json={"email": "a@example.com", "password": "nope"})
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthorized"
    assert client.post("/api/v1/tokens", json={"email": "a@example.com", "password": "nope"}).status_code == 429


def test_form_without_csrf_token_is_refused(client, make_user):
    make_user(email="a@example.com")
    response = client.post("/login", data={"email": "a@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # nobody was logged in
    response = client.post("/register", data={"email": "x@example.com", "name": "x", "organisation": "y",
                                              "password": "12345678", "confirm": "12345678"})
    assert response.status_code == 400
    assert db.session.query(User).filter_by(email="x@example.com").count() == 0


def test_session_api_post_needs_csrf(client, auth, make_user):
    make_user(email="a@example.com")
    auth.login("a@example.com")
    response = client.post("/api/v1/tokens", json={"email": "a@example.com", "password": PASSWORD})
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"


def test_change_password(client, auth, make_user):
    user = make_user(email="a@example.com")
    auth.login("a@example.com")
    token = csrf_token(client, "/account")
    bad = client.post("/account", data={"csrf_token": token, "pw-current_password": "wrong",
                                        "pw-new_password": "new-password-1", "pw-confirm": "new-password-1"})
    assert bad.status_code == 422
    ok = client.post("/account", data={"csrf_token": token, "pw-current_password": PASSWORD,
                                       "pw-new_password": "new-password-1", "pw-confirm": "new-password-1"})
    assert ok.status_code == 302
    db.session.refresh(user)
    assert user.check_password("new-password-1")


def test_user_cannot_reach_admin_pages(client, auth, make_user):
    make_user(email="a@example.com")
    assert client.get("/admin/").status_code == 302  # anonymous: sent to log in
    auth.login("a@example.com")
    for path in ("/admin/", "/admin/platforms", "/admin/users", "/admin/platforms/new"):
        assert client.get(path).status_code == 403


def test_admin_manages_platforms_and_accounts(client, auth, make_user, make_platform):
    platform = make_platform(code="NJNC")
    make_user(email="boss@example.com", role="admin")
    target = make_user(email="tech@example.com")
    auth.login("boss@example.com")
    token = csrf_token(client, "/admin/platforms/new")
    response = client.post("/admin/platforms/new", data={
        "csrf_token": token, "code": "BERL", "name_zh": "中德联合实验室", "name_en": "Sino-German Lab",
        "city_zh": "柏林", "city_en": "Berlin", "kind": "research_institute", "timezone": "Europe/Berlin",
        "approval_expiry_hours": "24"})
    assert response.status_code == 302
    bad = client.post("/admin/platforms/new", data={
        "csrf_token": token, "code": "X1", "name_zh": "x", "city_zh": "y", "kind": "incubator",
        "timezone": "Mars/Olympus", "approval_expiry_hours": "24"})
    assert bad.status_code == 422
    response = client.post(f"/admin/users/{target.id}", data={
        "csrf_token": token, "role": "staff", "platform": str(platform.id), "active": "y"})
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.role == "staff" and target.platform_id == platform.id


def test_staff_cannot_edit_another_platform(app, make_user, make_platform):
    from booking.accounts.access import require_staff_of
    from booking.errors import Forbidden

    own, other = make_platform(), make_platform()
    staff = make_user(role="staff", platform=own)
    require_staff_of(staff, own.id)
    try:
        require_staff_of(staff, other.id)
    except Forbidden as exc:
        assert "staff of this resource's platform" in exc.message
    else:
        raise AssertionError("staff acted on another platform")


def test_api_token_and_me(client, auth, make_user, make_platform):
    platform = make_platform(code="NJNC")
    make_user(email="staff@example.com", role="staff", platform=platform)
    headers = auth.token("staff@example.com")
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["email"] == "staff@example.com" and me["role"] == "staff" and me["platform"] == "NJNC"
    assert "calendar_url" in me
    stored = db.session.query(ApiToken).one()
    assert headers["Authorization"].split()[1] not in stored.token_hash  # only the hash is kept


def test_expired_or_unknown_token_is_401(client, auth, make_user):
    make_user(email="a@example.com")
    headers = auth.token("a@example.com")
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    token = db.session.query(ApiToken).one()
    token.expires_at = token.expires_at - timedelta(days=365)
    db.session.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert client.get("/api/v1/me").status_code == 401


def test_token_request_validates_body(client):
    assert client.post("/api/v1/tokens", data="junk").status_code == 422
    assert client.post("/api/v1/tokens", json={"email": 1}).get_json()["error"] == "invalid"

"""The application factory and the basic pages."""
from __future__ import annotations

import subprocess
import sys

from booking.models import Platform


def test_factory_builds_with_no_environment(tmp_path):
    # A fresh shell with no ONESTOP_* settings: the app still builds, with its defaults.
    code = (
        "from booking import create_app; app = create_app(); "
        "print(app.config['SQLALCHEMY_DATABASE_URI']); print(app.config['ONESTOP_MAIL_URL'])"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == f"sqlite:///{tmp_path / 'instance' / 'onestop.db'}"
    assert out[1] == f"outbox://{tmp_path / 'instance' / 'outbox'}"
    key = (tmp_path / "instance" / "secret_key").read_text()
    assert len(key) == 64
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True, capture_output=True)
    assert (tmp_path / "instance" / "secret_key").read_text() == key  # generated once


def test_home_lists_platforms_in_both_languages(client, make_platform):
    make_platform(name_zh="宁川大学分析测试中心", name_en="Ningchuan University Analysis Center")
    zh = client.get("/?lang=zh").get_data(as_text=True)
    assert "宁川大学分析测试中心" in zh and "仪器设备" in zh
    en = client.get("/?lang=en").get_data(as_text=True)
    assert "Ningchuan University Analysis Center" in en and "Instrument" in en
    # The choice is remembered without the parameter.
    assert "Ningchuan University Analysis Center" in client.get("/").get_data(as_text=True)


def test_resource_page_shows_feed_fields_escaped(client, make_resource):
    resource = make_resource(
        title="<script>alert(1)</script>场发射电镜", description="可测形貌", category="仪器设备/电子显微镜",
        attributes={"manufacturer": "Hitachi", "model": "Regulus 8100"}, price_amount=650, price_unit="hour",
        price_currency="CNY", opening_hours={"mon": [["08:30", "12:00"]]},
    )
    html = client.get(f"/resources/{resource.id}?lang=zh").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    for text in ("可测形貌", "Regulus 8100", "Hitachi", "仪器设备/电子显微镜", "08:30–12:00", "650"):
        assert text in html


def test_missing_resource_is_404(client):
    response = client.get("/resources/999999")
    assert response.status_code == 404
    assert client.get("/api/v1/resources/999999").get_json()["error"] == "not_found"


def test_platform_model_roundtrip(app):
    from booking.extensions import db

    db.session.add(Platform(code="BER", name_zh="柏林", timezone="Europe/Berlin"))
    db.session.commit()
    assert db.session.query(Platform).filter_by(code="BER").one().timezone == "Europe/Berlin"

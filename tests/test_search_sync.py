"""The search index follows the database: the API, the page and the CLI search what is there now."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from booking.extensions import db
from booking.models import IndexOutbox
from booking.searching.service import apply_outbox, get_index, sync_index


def test_created_updated_withdrawn_resources_reach_search(client, make_resource):
    sem = make_resource(title="扫描电子显微镜", title_en="Scanning electron microscope", kind="instrument")
    make_resource(title="盐雾试验", title_en="Salt spray test", kind="testing_service", bookable=False, orderable=True)
    assert db.session.query(IndexOutbox).count() >= 2  # written with the change itself
    apply_outbox()
    assert db.session.query(IndexOutbox).count() == 0
    hits = client.get("/api/v1/search?q=SEM").get_json()["hits"]
    assert [h["id"] for h in hits] == [sem.id]

    sem.title = "透射电子显微镜"
    sem.title_en = "Transmission electron microscope"
    db.session.commit()
    apply_outbox()
    assert client.get("/api/v1/search?q=透射电镜").get_json()["total"] == 1
    assert client.get("/api/v1/search?q=scanning").get_json()["total"] == 0

    sem.status = "withdrawn"
    db.session.commit()
    apply_outbox()
    assert client.get("/api/v1/search?q=透射电镜").get_json()["total"] == 0


def test_search_api_shape_and_filters(client, make_resource, make_platform):
    nj = make_platform(code="NJ", city_zh="南京")
    sz = make_platform(code="SZ", city_zh="苏州")
    make_resource(platform=nj, city="南京", title="X射线衍射仪", title_en="X-ray diffractometer")
    make_resource(platform=sz, city="苏州", title="X射线衍射仪 D8", title_en="XRD D8 Advance")
    make_resource(platform=sz, city="苏州", kind="patent", bookable=False, title="一种衍射仪样品台")
    apply_outbox()
    body = client.get("/api/v1/search?q=XRD&per_page=5").get_json()
    assert set(body) >= {"total", "page", "per_page", "hits", "facets", "suggestion"}
    assert body["page"] == 1 and body["per_page"] == 5
    assert set(body["hits"][0]) >= {"id", "platform", "external_id", "kind", "title", "snippet", "score", "url"}
    assert body["facets"]["city"] == {"南京": 1, "苏州": 1}
    only_sz = client.get("/api/v1/search?q=XRD&platform=SZ").get_json()
    assert [h["platform"] for h in only_sz["hits"]] == ["SZ"]
    browse = client.get("/api/v1/search?kind=patent").get_json()
    assert browse["total"] == 1 and browse["hits"][0]["kind"] == "patent"


def test_bad_search_parameters_are_400(client):
    for query in ("kind=robot", "page=0", "page=x", "per_page=1000", "sort=random", "max_price=-1",
                  "available_from=2027-01-01T09:00", "available_from=2027-01-01T09:00%2B08:00",
                  "available_from=2027-01-02T09:00%2B08:00&available_to=2027-01-01T09:00%2B08:00",
                  "bookable=maybe"):
        response = client.get(f"/api/v1/search?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"] == "bad_request" and response.get_json()["message"]


def test_search_page_escapes_and_links(client, make_resource):
    item = make_resource(title="<script>alert(1)</script>扫描电镜", title_en="SEM <b>bold</b>")
    apply_outbox()
    html = client.get("/search?q=扫描电镜&lang=zh").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<b>bold</b>" not in html
    assert f"/resources/{item.id}" in html
    bad = client.get("/search?q=x&page=-4")
    assert bad.status_code == 200 and "page" in bad.get_data(as_text=True)


def test_deleted_index_heals_on_sync(app, client, make_resource):
    make_resource(title="核磁共振波谱仪", title_en="NMR spectrometer")
    apply_outbox()
    get_index().close()
    folder = Path(app.config["ONESTOP_INDEX_DIR"])
    folder.unlink() if folder.is_symlink() else shutil.rmtree(folder)  # what `rm -rf` does
    app.extensions.pop("onestop_index", None)
    assert sync_index() == "rebuilt"
    assert client.get("/api/v1/search?q=核磁").get_json()["total"] == 1


def test_cli_rebuild_and_search(app, database_url, make_resource):
    make_resource(title="气相色谱质谱联用仪", title_en="GC-MS")
    env = {**os.environ, "ONESTOP_DATABASE_URL": database_url,
           "ONESTOP_INDEX_DIR": app.config["ONESTOP_INDEX_DIR"], "ONESTOP_INSTANCE": app.instance_path}

    def onestop(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "booking", *args], env=env, capture_output=True, text=True,
                              timeout=120)

    rebuilt = onestop("index", "rebuild")
    assert rebuilt.returncode == 0 and "indexed 1 resources" in rebuilt.stdout
    found = onestop("search", "气质联用", "--json")
    assert found.returncode == 0, found.stderr
    body = json.loads(found.stdout)
    assert body["total"] == 1 and body["hits"][0]["title"] == "气相色谱质谱联用仪"
    plain = onestop("search", "GC-MS", "--kind", "instrument")
    assert "1 results" in plain.stdout and "气相色谱质谱联用仪" in plain.stdout
    bad = onestop("search", "GC-MS", "--kind", "robot")
    assert bad.returncode == 1 and "unknown kind" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_import_indexes_what_it_changed(app, database_url, make_platform, tmp_path):
    make_platform(code="NJNC")
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        json.dumps({"platform": "NJNC", "external_id": "S1", "kind": "testing_service", "title": "盐雾试验",
                    "title_en": "Salt spray test"}, ensure_ascii=False) + "\n", encoding="utf-8")
    env = {**os.environ, "ONESTOP_DATABASE_URL": database_url,
           "ONESTOP_INDEX_DIR": app.config["ONESTOP_INDEX_DIR"], "ONESTOP_INSTANCE": app.instance_path}
    run = subprocess.run([sys.executable, "-m", "booking", "import", str(feed)], env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "1 created" in run.stdout and "search index" in run.stdout
    app.extensions.pop("onestop_index", None)
    assert [h["title"] for h in get_index().search("salt spray").hits] == ["盐雾试验"]

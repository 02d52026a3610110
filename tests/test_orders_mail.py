"""An order's every step reaches the other side by mail, read at a real SMTP server on loopback."""
from __future__ import annotations

import base64

from booking.notify import dispatch_due

PDF = b"%PDF-1.4\n% OneStop report\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_order_lifecycle_mails_arrive_in_order_and_in_each_readers_language(
        mail_app, smtp_server, client, auth, make_platform, make_resource, make_user, make_org):
    platform = make_platform(code="JSTC", name_zh="江苏省材料测试中心", name_en="Jiangsu Materials Testing Centre")
    service = make_resource(platform=platform, kind="testing_service", bookable=False, orderable=True,
                            title="金属拉伸试验", title_en="Tensile testing of metals")
    user = make_user(email="founder@startup.cn", language="en")
    make_org(name="启恒材料科技有限公司", name_en="Qiheng Materials", kind="startup", members={user: "manager"})
    staff = make_user(email="tech@jstc.example", role="staff", platform=platform, language="zh")
    user_h, staff_h = auth.token(user.email), auth.token(staff.email)

    created = client.post("/api/v1/orders", headers=user_h, json={
        "resource_id": service.id, "samples": 3, "sample_description": "Q235 steel <b>bars</b>",
        "standard": "GB/T 228.1-2021", "needed_by": 14, "notes": ""})
    assert created.status_code == 201, created.get_json()
    oid = created.get_json()["id"]
    steps = [
        ("quote", staff_h, {"price": "900", "promised_date": created.get_json()["needed_by"]}),
        ("accept", user_h, {}), ("receive", staff_h, {}), ("start", staff_h, {}),
        ("issue", staff_h, {"report": {"filename": "report.pdf", "content_base64": base64.b64encode(PDF).decode()}}),
        ("complete", user_h, {}),
    ]
    for action, headers, body in steps:
        response = client.post(f"/api/v1/orders/{oid}/{action}", headers=headers, json=body)
        assert response.status_code == 200, (action, response.get_json())

    assert dispatch_due()["sent"] == 7
    received = smtp_server.messages()
    assert [m.rcpt_tos for m in received] == [
        [staff.email], [user.email], [staff.email], [user.email], [user.email], [user.email], [staff.email]]
    assert len({m.message_id for m in received}) == 7  # one mail a step, none twice
    to_user = [m for m in received if m.rcpt_tos == [user.email]]
    to_staff = [m for m in received if m.rcpt_tos == [staff.email]]
    assert all("Tensile testing of metals" in m.text() for m in to_user)  # English for the founder
    assert all("金属拉伸试验" in m.text() for m in to_staff)  # Chinese for the platform's technician
    assert f"/orders/{oid}" in to_user[0].text()
    first = to_staff[0].html()
    assert "Q235 steel &lt;b&gt;bars&lt;/b&gt;" in first and "<b>bars</b>" not in first  # escaped
    assert "启恒材料科技有限公司" in to_staff[0].text()  # the customer's organisation, for the platform

"""Organisations are records: money, statements and reports follow membership of a verified
organisation, never a typed name. Each attack of issue 9 is tried through the pages and the API,
beside the legitimate path that must keep working."""
from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from booking.engine import create_reservation
from booking.engine.pricing import rate_for, set_rate
from booking.engine.vouchers import account_for, balance_of, issue_vouchers, ledger_total
from booking.errors import Conflict, Forbidden, InvalidInput
from booking.extensions import db
from booking.models import JoinRequest, Organisation, OutgoingMail, User, VoucherEntry
from booking.orders.files import Upload
from booking.orders.service import (
    accept_order,
    can_download,
    issue_report,
    parse_draft,
    place_order,
    quote_order,
    receive_samples,
    start_testing,
)
from booking.organisations import service

from support import csrf_token, valid_uscc

SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def next_week(hour: int) -> tuple[datetime, datetime]:
    day = (datetime.now(SHANGHAI) + timedelta(days=7)).date()
    start = datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)
    return start, start + timedelta(hours=2)


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def world(make_platform, make_resource, make_user, make_org) -> Any:
    """A university lab owned by Ningchuan University (internal 10/h, startup 40/h, external 80/h, vouchers
    pay up to 50 %); Qubit, a verified startup with 1000 in vouchers, its manager and a member; a stranger."""
    platform = make_platform(voucher_cap_percent=50)
    resource = make_resource(platform=platform, opening_hours=None)
    service_resource = make_resource(platform=platform, kind="testing_service", bookable=False, orderable=True,
                                     price_amount=300, price_unit="sample")
    staff = make_user(email="staff@lab.example", role="staff", platform=platform)
    set_rate(staff, resource, "hour", "80", internal="10", startup="40")
    admin = make_user(email="admin@onestop.example", role="admin", language="en")
    manager = make_user(email="boss@qubit.example", name="Boss", language="en")
    member = make_user(email="li@qubit.example", name="Li Lei", language="en")
    stranger = make_user(email="mallory@evil.example", name="Mallory", language="en")
    professor = make_user(email="prof@ningchuan.example", language="en")
    qubit = make_org(name="量子比特科技有限公司", name_en="Qubit Technology", members={manager: "manager", member: "member"})
    university = make_org(name="宁川大学", name_en="Ningchuan University", kind="university",
                          members={professor: "member"}, owns=[platform])
    issue_vouchers(admin, qubit, "1000", "2027 allocation")
    db.session.commit()
    return type("World", (), dict(platform=platform, resource=resource, service=service_resource, staff=staff,
                                  admin=admin, manager=manager, member=member, stranger=stranger, professor=professor,
                                  qubit=qubit, university=university))


def reported_order(world: Any, orderer: User) -> Any:
    draft = parse_draft({"samples": 2, "sample_description": "two specimens"}, world.service)
    order = place_order(orderer, world.service, draft)
    quote_order(order, world.staff, "600", (datetime.now(SHANGHAI) + timedelta(days=10)).date().isoformat())
    accept_order(order, orderer)
    receive_samples(order, world.staff)
    start_testing(order, world.staff)
    issue_report(order, world.staff, Upload("report.pdf", PDF))
    db.session.commit()
    return order


# --- the attacks of issue 9, and the legitimate paths beside them ---------------------------------

def test_a_typed_name_gets_nothing_the_organisation_has(client, auth, world):
    """The stranger types Qubit's name wherever a form still takes text: nothing follows it."""
    headers = auth.token(world.stranger.email)
    auth.login(world.stranger.email)
    token = csrf_token(client, "/account")
    client.post("/account", data={"csrf_token": token, "acc-name": "Mallory", "acc-organisation": "量子比特科技有限公司",
                                  "acc-language": "en"})
    db.session.expire_all()
    assert world.stranger.organisation_id is None
    assert rate_for(world.stranger, world.resource).kind == "external"
    assert rate_for(world.member, world.resource).kind == "startup"
    start, end = next_week(9)
    refused = client.post("/api/v1/reservations", headers=headers, json={
        "resource_id": world.resource.id, "start": start.isoformat(), "end": end.isoformat(), "purpose": "x",
        "use_voucher": True})
    assert refused.status_code == 409 and refused.get_json().get("reason") == "voucher_balance"
    assert balance_of(world.qubit) == Decimal("1000.00")
    booked = client.post("/api/v1/reservations", headers=headers, json={
        "resource_id": world.resource.id, "start": start.isoformat(), "end": end.isoformat(), "purpose": "x"})
    assert booked.status_code == 201 and booked.get_json()["fee"]["rate_kind"] == "external"
    assert booked.get_json()["fee"]["rate"] == {"amount": "80.00", "currency": "CNY"}  # money as a decimal string


def test_a_member_spends_the_organisations_vouchers_at_the_startup_rate(client, auth, world):
    headers = auth.token(world.member.email)
    start, end = next_week(9)
    booked = client.post("/api/v1/reservations", headers=headers, json={
        "resource_id": world.resource.id, "start": start.isoformat(), "end": end.isoformat(), "purpose": "SEM",
        "use_voucher": True})
    assert booked.status_code == 201, booked.get_json()
    db.session.expire_all()
    assert balance_of(world.qubit) == Decimal("960.00")  # 2 h × 40 = 80, half paid with vouchers
    assert ledger_total(account_for(world.qubit)) == balance_of(world.qubit)
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["organisation"] == {"id": world.qubit.id, "name": "量子比特科技有限公司", "name_en": "Qubit Technology",
                                  "uscc": world.qubit.uscc, "kind": "startup", "verified": True, "state": "verified",
                                  "role": "member"}


def test_an_unverified_or_suspended_organisation_pays_external_and_spends_nothing(world, make_user, make_org):
    newcomer = make_user(email="new@startup.example")
    make_org(name="新创公司", verified=False, members={newcomer: "manager"})
    assert rate_for(newcomer, world.resource).kind == "external"
    service.suspend_organisation(world.admin, world.qubit)
    db.session.commit()
    assert rate_for(world.member, world.resource).kind == "external"
    start, end = next_week(9)
    with pytest.raises(Conflict):
        create_reservation(world.member, world.resource, start, end, use_voucher=True)
    db.session.rollback()
    assert balance_of(world.qubit) == Decimal("1000.00")


def test_internal_rate_needs_membership_of_the_owning_organisation(world, make_user, make_org):
    assert rate_for(world.professor, world.resource).kind == "internal"
    lookalike = make_user(email="fake@ningchuan.example")
    make_org(name="宁川大学", kind="university", verified=False, members={lookalike: "manager"})  # same name, not verified
    assert rate_for(lookalike, world.resource).kind == "external"
    assert rate_for(world.staff, world.resource).kind == "external"


def test_only_verified_colleagues_download_the_report(client, auth, world, make_user):
    order = reported_order(world, world.member)
    report = next(f for f in order.files if f.kind == "report")
    assert can_download(report, world.manager)
    assert not can_download(report, world.stranger)
    url = f"/orders/{order.id}/files/{report.id}"
    headers = auth.token(world.stranger.email)
    auth.login(world.stranger.email)
    assert client.get(url).status_code in (403, 404)
    assert client.get(f"/api/v1/orders/{order.id}/files/{report.id}", headers=headers).status_code in (403, 404)
    auth.logout()
    auth.login(world.manager.email)
    with client.get(url) as downloaded:
        assert downloaded.status_code == 200 and downloaded.data == PDF


def test_leaving_ends_access_at_once_and_paid_bookings_stay(client, auth, world):
    start, end = next_week(9)
    booked = create_reservation(world.member, world.resource, start, end, use_voucher=True)
    order = reported_order(world, world.manager)
    db.session.commit()
    service.leave(world.member)
    db.session.commit()
    report = next(f for f in order.files if f.kind == "report")
    assert not can_download(report, world.member)
    assert rate_for(world.member, world.resource).kind == "external"
    db.session.refresh(booked)
    assert (booked.rate_kind, booked.voucher_amount) == ("startup", Decimal("40.00"))  # paid stays paid
    auth.login(world.member.email)
    page = client.get("/statements").get_data(as_text=True)
    assert "量子比特科技有限公司" not in page


def test_statement_the_manager_sees_everyone_a_member_only_themself(client, auth, world):
    start = (datetime.now(UTC) + timedelta(days=1)).astimezone(SHANGHAI).replace(
        hour=10, minute=0, second=0, microsecond=0)
    month = f"month={start:%Y-%m}"  # the statement of the month the bookings fall in, whatever today is
    create_reservation(world.member, world.resource, start, start + timedelta(hours=1))
    create_reservation(world.manager, world.resource, start + timedelta(hours=2), start + timedelta(hours=3))
    db.session.commit()
    auth.login(world.manager.email)
    whole = client.get(f"/statements.csv?{month}").get_data(as_text=True)
    assert "Li Lei" in whole and "Boss" in whole
    auth.logout()
    auth.login(world.member.email)
    own = client.get(f"/statements.csv?{month}").get_data(as_text=True)
    assert "Li Lei" in own and "Boss" not in own
    auth.logout()
    auth.login(world.stranger.email)
    nothing = client.get(f"/statements.csv?{month}").get_data(as_text=True)
    assert "Li Lei" not in nothing and "Boss" not in nothing
    forged = client.get(f"/statements.csv?{month}&org={world.qubit.id}").get_data(as_text=True)
    assert "Boss" not in forged  # ?org= is for administrators only


def test_admin_vouchers_go_to_a_chosen_verified_organisation_never_to_text(client, auth, world, make_org):
    pending = make_org(name="待核实公司", verified=False)
    auth.login(world.admin.email)
    token = csrf_token(client, "/admin/vouchers")
    typed = client.post("/admin/vouchers", data={"csrf_token": token, "organisation": "量子比特科技有限公司",
                                                 "amount": "500"})
    assert typed.status_code == 422
    unverified = client.post("/admin/vouchers", data={"csrf_token": token, "organisation": str(pending.id),
                                                      "amount": "500"})
    assert unverified.status_code == 422
    granted = client.post("/admin/vouchers", data={"csrf_token": token, "organisation": str(world.qubit.id),
                                                   "amount": "500"})
    assert granted.status_code == 303
    db.session.expire_all()
    assert balance_of(world.qubit) == Decimal("1500.00") and account_for(pending) is None
    with pytest.raises(InvalidInput):
        issue_vouchers(world.admin, pending, "10")


# --- joining ----------------------------------------------------------------------------------------

def mails_to(address: str) -> list[str]:
    db.session.expire_all()
    return [m.subject for m in db.session.scalars(sa.select(OutgoingMail).where(OutgoingMail.recipient == address)
                                                  .order_by(OutgoingMail.id))]


def test_asking_to_join_waits_for_a_manager_and_mails_both_sides(client, auth, world):
    auth.login(world.stranger.email)
    found = client.get(f"/organisation?q={world.qubit.uscc}").get_data(as_text=True)
    assert "量子比特科技有限公司" in found and "Ask to join" in found
    token = csrf_token(client, f"/organisation?q={world.qubit.uscc}")
    sent = client.post("/organisation/join", data={"csrf_token": token, "org_id": world.qubit.id,
                                                   "message": "I run the SEM <b>work</b>"})
    assert sent.status_code == 303
    db.session.expire_all()
    assert world.stranger.organisation_id is None  # asking is not joining
    assert rate_for(world.stranger, world.resource).kind == "external"
    assert mails_to(world.manager.email) == ["Mallory asks to join 量子比特科技有限公司"]
    assert mails_to(world.stranger.email) == ["Your request to join 量子比特科技有限公司 was sent"]
    request = db.session.scalar(sa.select(JoinRequest))
    # a member who is not a manager cannot approve; neither can the requester
    for who in (world.member, world.stranger):
        with pytest.raises(Forbidden):
            service.decide_join_request(who, request, True)
        db.session.rollback()
    auth.logout()
    auth.login(world.manager.email)
    page = client.get("/organisation").get_data(as_text=True)
    assert "I run the SEM &lt;b&gt;work&lt;/b&gt;" in page  # escaped
    token = csrf_token(client, "/organisation")
    approved = client.post(f"/organisations/requests/{request.id}/approve", data={"csrf_token": token})
    assert approved.status_code == 303
    db.session.expire_all()
    assert (world.stranger.organisation_id, world.stranger.org_role) == (world.qubit.id, "member")
    assert rate_for(world.stranger, world.resource).kind == "startup"
    assert mails_to(world.stranger.email)[-1] == "You are now a member of 量子比特科技有限公司"


def test_a_declined_request_changes_nothing(world):
    request = service.request_to_join(world.stranger, world.qubit, "")
    service.decide_join_request(world.manager, request, False, "We do not know you")
    db.session.commit()
    assert world.stranger.organisation_id is None and request.status == "declined"
    assert mails_to(world.stranger.email)[-1] == "Your request to join 量子比特科技有限公司 was declined"
    with pytest.raises(Conflict):
        service.decide_join_request(world.manager, request, True)


def test_an_invitation_works_once_only_for_the_invited_address(client, auth, world, app):
    link = service.invite(world.manager, world.qubit, "Prof@Ningchuan.example")
    db.session.commit()
    assert mails_to("prof@ningchuan.example") == ["Boss invites you to join 量子比特科技有限公司 on OneStop"]
    path = "/" + link.split("/", 3)[3]
    auth.login(world.stranger.email)  # a forwarded link
    assert "log in with the invited address" in client.get(path).get_data(as_text=True)
    token = csrf_token(client, "/account")
    assert client.post(path, data={"csrf_token": token}).status_code == 403
    auth.logout()
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    auth.login(world.professor.email)
    assert client.get(tampered).status_code == 400
    # the professor belongs to the university: leave first
    assert "leave it first" in client.get(path + "?lang=en").get_data(as_text=True)
    service.leave(world.professor)
    db.session.commit()
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 303
    db.session.expire_all()
    assert world.professor.organisation_id == world.qubit.id
    # removed by the manager, the old link does not bring them back
    service.remove_member(world.manager, world.qubit, world.professor)
    db.session.commit()
    assert "used already" in client.get(path + "?lang=en").get_data(as_text=True)


def test_a_withdrawn_invitation_stops_working(client, auth, world):
    link = service.invite(world.manager, world.qubit, world.professor.email)
    db.session.commit()
    invitation = service.open_invitations(world.qubit)[0]
    with pytest.raises(Forbidden):
        service.revoke_invitation(world.member, invitation)  # only managers
    db.session.rollback()
    auth.login(world.manager.email)
    token = csrf_token(client, "/organisation")
    assert client.post(f"/organisations/invitations/{invitation.id}/withdraw", data={"csrf_token": token}).status_code == 303
    auth.logout()
    service.leave(world.professor)
    db.session.commit()
    auth.login(world.professor.email)
    assert "withdrawn" in client.get("/" + link.split("/", 3)[3] + "?lang=en").get_data(as_text=True)
    db.session.expire_all()
    assert world.professor.organisation_id is None


def test_registering_an_organisation_makes_a_manager_of_an_unverified_one(client, auth, world, make_user):
    founder = make_user(email="founder@newco.example")
    auth.login(founder.email)
    token = csrf_token(client, "/organisation")
    bad = client.post("/organisation/register", data={"csrf_token": token, "reg-name": "新公司", "reg-uscc":
                      "91320100MA1XD3M00A", "reg-kind": "startup"})
    assert bad.status_code == 422 and "not a valid unified social credit code" in bad.get_data(as_text=True)
    taken = client.post("/organisation/register", data={"csrf_token": token, "reg-name": "假量子", "reg-uscc":
                        world.qubit.uscc, "reg-kind": "startup"})
    assert taken.status_code == 422 and "ask to join it instead" in taken.get_data(as_text=True)
    code = valid_uscc(9999)
    made = client.post("/organisation/register", data={"csrf_token": token, "reg-name": "新公司", "reg-uscc":
                       code.lower(), "reg-kind": "startup", "reg-city": "苏州"})
    assert made.status_code == 303
    db.session.expire_all()
    org = db.session.scalar(sa.select(Organisation).where(Organisation.uscc == code))
    assert (org.state, founder.organisation_id, founder.org_role) == ("unverified", org.id, "manager")
    assert rate_for(founder, world.resource).kind == "external"
    assert mails_to(world.admin.email) == ["New organisation to verify: 新公司"]


def test_verification_needs_a_valid_code_and_an_administrator(client, auth, world, make_org):
    org = make_org(name="旧数据公司", verified=False)
    org.uscc = None  # carried over from a free-text name
    db.session.commit()
    with pytest.raises(InvalidInput):
        service.verify_organisation(world.admin, org)
    with pytest.raises(Forbidden):
        service.verify_organisation(world.manager, org)
    db.session.rollback()
    auth.login(world.admin.email)
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "missing or wrong check digit" in page
    token = csrf_token(client, f"/organisations/{org.id}")
    client.post(f"/admin/organisations/{org.id}", data={"csrf_token": token, "edit-name": "旧数据公司",
                                                         "edit-uscc": valid_uscc(4242), "edit-kind": "sme"})
    assert client.post(f"/admin/organisations/{org.id}/verify", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert (org.state, org.kind, org.verified_by_id) == ("verified", "sme", world.admin.id)


def test_staff_add_members_only_to_the_organisation_owning_their_platform(world, make_user, make_platform, make_org):
    other_staff = make_user(role="staff", platform=make_platform())
    newcomer = make_user(email="new@ningchuan.example")
    with pytest.raises(Forbidden):
        service.add_member(other_staff, world.university, newcomer)
    service.add_member(world.staff, world.university, newcomer)  # the university owns the staff's platform
    for role, user in (("manager", make_user()), ("member", world.staff), ("member", other_staff)):
        with pytest.raises(Forbidden):  # no managers, not themselves, no staff accounts
            service.add_member(world.staff, world.university, user, role=role)
        db.session.rollback()
    reservation_start, reservation_end = next_week(9)
    create_reservation(world.member, world.resource, reservation_start, reservation_end)  # Qubit uses the lab
    with pytest.raises(Forbidden):  # using a platform does not make its staff judges of Qubit's members
        service.add_member(world.staff, world.qubit, make_user())
    db.session.rollback()
    unrelated = make_org(name="无关公司")
    with pytest.raises(Forbidden):
        service.add_member(world.staff, unrelated, make_user())
    with pytest.raises(Forbidden):  # managers invite: nobody is pulled into an organisation without consent
        service.add_member(world.manager, world.qubit, make_user())


def test_pages_of_an_organisation_refuse_outsiders(client, auth, world):
    auth.login(world.stranger.email)
    assert client.get(f"/organisations/{world.qubit.id}").status_code == 403
    assert client.get("/admin/organisations").status_code == 403
    token = csrf_token(client, "/account")
    assert client.post(f"/organisations/{world.qubit.id}/invite", data={"csrf_token": token,
                                                                       "inv-email": "x@evil.example"}).status_code == 403
    assert client.post(f"/organisations/{world.qubit.id}/members/{world.member.id}/remove",
                       data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert world.member.organisation_id == world.qubit.id
    auth.logout()
    auth.login(world.member.email)  # a member sees the page, not the member list
    page = client.get("/organisation").get_data(as_text=True)
    assert "量子比特科技有限公司" in page and "boss@qubit.example" not in page


def test_a_last_manager_cannot_leave_others_behind(world):
    with pytest.raises(Conflict):
        service.leave(world.manager)
    db.session.rollback()
    service.set_role(world.manager, world.qubit, world.member, "manager")
    service.leave(world.manager)
    db.session.commit()
    assert world.manager.organisation_id is None


def test_merge_moves_members_vouchers_and_history(world, make_org, make_user):
    twin_member = make_user(email="twin@qubit.example")
    twin = make_org(name="量子比特科技", members={twin_member: "member"})
    issue_vouchers(world.admin, twin, "250")
    db.session.commit()
    service.merge_organisations(world.admin, world.qubit, twin)
    db.session.commit()
    assert db.session.get(Organisation, twin.id) is None
    assert twin_member.organisation_id == world.qubit.id
    assert balance_of(world.qubit) == Decimal("1250.00") == ledger_total(account_for(world.qubit))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoucherEntry)) == 2


# --- command line -----------------------------------------------------------------------------------

def test_command_line_organisations(app, world, make_platform):
    from click.testing import CliRunner

    from booking.cli import cli, register_commands

    register_commands()

    class Runner:
        def invoke(self, args: list[str], input: str | None = None) -> Any:
            return CliRunner().invoke(cli, args, obj=app, input=input)

    runner = Runner()
    platform = make_platform(code="SZLAB")
    bad = runner.invoke(args=["orgs", "create", "--name", "坏代码", "--uscc", "91320100MA1XD3M00A", "--kind", "startup"])
    assert bad.exit_code == 1 and "not a valid unified social credit code" in bad.output
    assert "Traceback" not in bad.output
    code = valid_uscc(777)
    made = runner.invoke(args=["orgs", "create", "--name", "苏州实验室", "--uscc", code, "--kind", "institute",
                               "--verified", "--owns", "SZLAB"])
    assert made.exit_code == 0, made.output
    org = db.session.scalar(sa.select(Organisation).where(Organisation.uscc == code))
    assert org.verified and platform.owner_org_id == org.id
    added = runner.invoke(args=["orgs", "add-member", code, world.stranger.email, "--manager"])
    assert added.exit_code == 0, added.output
    db.session.expire_all()
    assert (world.stranger.organisation_id, world.stranger.org_role) == (org.id, "manager")
    again = runner.invoke(args=["orgs", "add-member", world.qubit.uscc, world.stranger.email])
    assert again.exit_code == 1 and "belongs to another organisation" in again.output
    issued = runner.invoke(args=["vouchers", "issue", "--org", code, "--amount", "300", "--note", "2027"])
    assert issued.exit_code == 0 and balance_of(org) == Decimal("300.00")
    unknown = runner.invoke(args=["vouchers", "issue", "--org", valid_uscc(778), "--amount", "300"])
    assert unknown.exit_code == 1 and "No organisation" in unknown.output
    user = runner.invoke(args=["users", "create", "--email", "cli@lab.example", "--password-stdin", "--org", code],
                         input="a long enough passphrase 42\n")
    assert user.exit_code == 0, user.output
    assert db.session.scalar(sa.select(User.organisation_id).where(User.email == "cli@lab.example")) == org.id


def test_the_admin_chooses_a_platforms_owner_from_verified_organisations(client, auth, world, make_org):
    pending = make_org(name="待核实大学", kind="university", verified=False)
    auth.login(world.admin.email)
    path = f"/admin/platforms/{world.platform.id}"
    page = client.get(path + "?lang=en").get_data(as_text=True)
    assert "宁川大学" in page and "待核实大学" not in page  # only verified organisations are offered
    form = {"csrf_token": csrf_token(client, path), "code": world.platform.code, "name_zh": world.platform.name_zh,
            "city_zh": "南京", "kind": "university_lab", "timezone": "Asia/Shanghai", "approval_expiry_hours": "48"}
    assert client.post(path, data={**form, "owning_org": str(pending.id)}).status_code == 422
    assert client.post(path, data={**form, "owning_org": str(world.qubit.id)}).status_code == 302
    db.session.expire_all()
    assert world.platform.owner_org_id == world.qubit.id
    assert rate_for(world.member, world.resource).kind == "internal"
    assert rate_for(world.professor, world.resource).kind == "external"


def test_organisation_mails_speak_the_readers_language(world, make_user, make_org):
    chinese_manager = make_user(email="zhang@hanzi.example", name="张经理", language="zh")
    org = make_org(name="汉字科技有限公司", members={chinese_manager: "manager"})
    applicant = make_user(email="lee@english.example", name="Lee", language="en")
    request = service.request_to_join(applicant, org, "")
    db.session.commit()
    assert mails_to(chinese_manager.email) == ["Lee申请加入汉字科技有限公司"]
    assert mails_to(applicant.email) == ["Your request to join 汉字科技有限公司 was sent"]
    raw = db.session.scalar(sa.select(OutgoingMail.raw).where(OutgoingMail.recipient == chinese_manager.email))
    body = email.message_from_string(raw).get_payload()[0].get_payload(decode=True).decode()
    assert "张经理，您好" in body and "申请加入" in body
    service.decide_join_request(chinese_manager, request, True)
    db.session.commit()
    assert mails_to(applicant.email)[-1] == "You are now a member of 汉字科技有限公司"


def test_odd_organisation_ids_in_admin_pages_choose_nothing(client, auth, world):
    auth.login(world.admin.email)
    for raw in ("²", "٣", "99999999999999999999", "-1", "0"):
        for path in ("/admin/vouchers", "/statements", "/statements.csv"):
            assert client.get(f"{path}?org={raw}").status_code in (200, 404), (path, raw)

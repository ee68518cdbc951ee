"""The admin site: the CDR policy singleton, read-only logs, accounts and groups."""

import pytest
from django.db import IntegrityError, transaction

from logging_app import models
from logging_app.logs import LOGS
from tests.factories import make_account, make_group, make_log_record
from tests.page import main_text

POLICY_ADMIN = "/admin/logging_app/cdrpolicy/"


def _admin_url(model, *parts: object) -> str:
    opts = model._meta
    return "/".join(["/admin", opts.app_label, opts.model_name, *map(str, parts)]) + "/"


@pytest.mark.django_db
def test_it_refuses_to_add_a_second_cdr_policy(admin_client):
    models.CdrPolicy.current()

    assert admin_client.get(f"{POLICY_ADMIN}add/").status_code == 403
    assert (
        admin_client.post(f"{POLICY_ADMIN}add/", {"period": "DAY", "duration": 0}).status_code
        == 403
    )
    assert models.CdrPolicy.objects.count() == 1


@pytest.mark.django_db
def test_it_keeps_the_cdr_policy_single_in_the_database():
    models.CdrPolicy.current()

    with pytest.raises(IntegrityError), transaction.atomic():
        models.CdrPolicy.objects.create(id=2, period="DAY", duration=0)


@pytest.mark.django_db
def test_it_leads_the_policy_list_straight_to_the_one_policy(admin_client):
    response = admin_client.get(POLICY_ADMIN)

    assert response.status_code == 302
    assert response["Location"] == f"{POLICY_ADMIN}1/change/"


@pytest.mark.django_db
def test_it_says_what_the_policy_does_on_its_form(admin_client):
    policy = models.CdrPolicy.current()
    policy.period, policy.duration = models.CdrPeriod.WEEK, 2
    policy.save()

    text = main_text(admin_client.get(f"{POLICY_ADMIN}1/change/"))

    assert "Direct calls (CALL, TRANSFER) are kept for 2 weeks, then purged" in text
    assert "0 is the No-CDR option" in text


@pytest.mark.django_db
def test_it_changes_the_policy(admin_client):
    models.CdrPolicy.current()

    response = admin_client.post(f"{POLICY_ADMIN}1/change/", {"period": "DAY", "duration": "0"})

    policy = models.CdrPolicy.objects.get()
    assert response.status_code == 302
    assert (policy.period, policy.duration) == ("DAY", 0)
    assert "No-CDR" in main_text(admin_client.get(f"{POLICY_ADMIN}1/change/"))


@pytest.mark.django_db
def test_it_refuses_a_negative_duration(admin_client):
    models.CdrPolicy.current()

    response = admin_client.post(f"{POLICY_ADMIN}1/change/", {"period": "DAY", "duration": "-1"})

    assert response.status_code == 200
    assert models.CdrPolicy.objects.get().duration == 1


@pytest.mark.django_db
def test_it_refuses_to_delete_the_policy(admin_client):
    models.CdrPolicy.current()

    assert admin_client.get(f"{POLICY_ADMIN}1/delete/").status_code == 403
    assert models.CdrPolicy.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("slug", list(LOGS))
def test_it_lists_each_log(admin_client, slug):
    make_log_record(slug)

    response = admin_client.get(_admin_url(LOGS[slug].model))

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("slug", list(LOGS))
def test_it_changes_no_log_row(admin_client, slug):
    model = LOGS[slug].model
    record = make_log_record(slug)

    add = admin_client.get(_admin_url(model, "add"))
    change = admin_client.post(_admin_url(model, record.pk, "change"), {})
    delete = admin_client.post(_admin_url(model, record.pk, "delete"), {"post": "yes"})

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert model.objects.filter(pk=record.pk).exists()


@pytest.mark.django_db
def test_it_manages_accounts_and_groups(admin_client):
    group = make_group(name="sales")
    account = make_account(username="alice", group=group)

    for url in [
        _admin_url(models.Account),
        _admin_url(models.Account, "add"),
        _admin_url(models.Account, account.pk, "change"),
        _admin_url(models.AccountGroup),
        _admin_url(models.AccountGroup, "add"),
        _admin_url(models.AccountGroup, group.pk, "change"),
    ]:
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_it_searches_and_filters_accounts(admin_client):
    group = make_group(name="sales")
    make_account(username="alice", group=group)
    make_account(username="bob")

    searched = main_text(admin_client.get(_admin_url(models.Account), {"q": "alice"}))
    filtered = main_text(
        admin_client.get(_admin_url(models.Account), {"group__id__exact": group.pk})
    )

    assert "alice" in searched and "bob" not in searched
    assert "alice" in filtered and "bob" not in filtered


@pytest.mark.django_db
def test_it_keeps_support_out_of_the_admin_site(support_client):
    response = support_client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_it_records_a_policy_change_made_on_the_admin_site(admin_client):
    models.CdrPolicy.current()

    response = admin_client.post(
        "/admin/logging_app/cdrpolicy/1/change/", {"period": "WEEK", "duration": "3"}
    )

    assert response.status_code == 302
    policy = models.CdrPolicy.objects.get()
    assert (policy.period, policy.duration) == ("WEEK", 3)
    event = models.SecurityEvent.objects.get(signature_id="CON-500")
    assert event.account_name == "admin"
    assert "from 1 YEAR to 3 WEEK" in event.details

"""Every project model has an admin; each changelist and change page answers 200 to a superuser
and turns away everyone else; read-only admins refuse writes; changelists cost a bounded number
of queries whatever the number of rows; secrets never reach a page."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from core.admin import ReadOnlyAdmin
from messaging import services as messaging_services
from messaging.models import Message
from tests.factories import UserFactory

from .conftest import project_models

pytestmark = pytest.mark.django_db


def _url(model, view: str, *args) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def _admin_model(model):
    """The model the admin registers (DRF's Token through its proxy)."""
    if model in admin.site._registry:
        return model
    return next(m for m in admin.site._registry if m._meta.concrete_model is model)


def test_every_project_model_has_an_admin():
    missing = [m._meta.label for m in project_models() if m not in admin.site._registry]
    assert missing == [], f"models without an admin: {missing}"


def test_every_registered_model_has_a_real_object_here(everything):
    # The fixture covers every project model, so the page tests below see each one with a row.
    registered = {m for m in project_models()}
    assert registered - set(everything) == set()


@pytest.fixture
def superuser_client(client, superuser) -> Client:
    client.force_login(superuser)
    return client


def test_each_changelist_and_change_page_loads_for_a_superuser(superuser_client, everything):
    for model, obj in everything.items():
        model = _admin_model(model)
        changelist = _url(model, "changelist")
        assert superuser_client.get(changelist).status_code == 200, changelist
        # The search box and the first filter run their SQL too.
        assert superuser_client.get(changelist, {"q": "x"}).status_code == 200, changelist
        change = _url(model, "change", obj.pk)
        response = superuser_client.get(change)
        assert response.status_code == 200, change


def test_anonymous_is_sent_to_the_login_page(client, everything):
    for model, obj in everything.items():
        model = _admin_model(model)
        for url in (_url(model, "changelist"), _url(model, "change", obj.pk)):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/admin/login/"), url


def test_a_logged_in_non_staff_user_gets_nothing(client, everything):
    client.force_login(UserFactory())
    for model, obj in everything.items():
        model = _admin_model(model)
        for url in (_url(model, "changelist"), _url(model, "change", obj.pk)):
            response = client.get(url)
            assert response.status_code in (302, 403), url
            assert b"Hello" not in response.content


def test_staff_without_view_permission_is_refused(client, everything):
    client.force_login(UserFactory(is_staff=True))
    message = everything[Message]
    assert client.get(_url(Message, "changelist")).status_code == 403
    assert client.get(_url(Message, "change", message.pk)).status_code == 403


def test_read_only_admins_refuse_add_change_and_delete(superuser_client, everything):
    read_only = [m for m, model_admin in admin.site._registry.items() if isinstance(model_admin, ReadOnlyAdmin)]
    labels = {m._meta.label for m in read_only}
    for must in (
        "messaging.Message",
        "messaging.Thread",
        "messaging.ModerationAction",
        "notifications.Notification",
        "notifications.SmsMessage",
        "realtime.Event",
        "core.OutboxTask",
        "payments.LedgerEntry",
        "payments.StripeEvent",
    ):
        assert must in labels, must
    for model in read_only:
        assert superuser_client.get(_url(model, "add")).status_code == 403, model
        obj = everything[model._meta.concrete_model]
        assert superuser_client.get(_url(model, "delete", obj.pk)).status_code == 403, model
        page = superuser_client.get(_url(model, "change", obj.pk)).content.decode()
        assert 'name="_save"' not in page, model  # a view page: nothing to submit
    # And a POST to the change page saves nothing.
    message = everything[Message]
    response = superuser_client.post(_url(Message, "change", message.pk), {"body": "rewritten"})
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.body == messaging_services.HIDDEN_BODY


def test_secrets_are_not_shown(superuser_client, everything):
    from rest_framework.authtoken.models import TokenProxy

    from collective.models import PhoneVerification

    token = everything[TokenProxy]
    for url in (_url(TokenProxy, "changelist"), _url(TokenProxy, "change", token.pk)):
        page = superuser_client.get(url).content.decode()
        assert token.key[:4] + "…" in page
        assert token.key not in page, url
    assert superuser_client.get(_url(TokenProxy, "add")).status_code == 403
    verification = everything[PhoneVerification]
    page = superuser_client.get(_url(PhoneVerification, "change", verification.pk)).content.decode()
    assert verification.code_hash not in page
    user_page = superuser_client.get(_url(type(token.user), "change", token.user.pk)).content.decode()
    assert token.user.password not in user_page


@pytest.mark.parametrize(
    "label",
    ["messaging.Message", "messaging.Thread", "notifications.Notification", "realtime.Event", "payments.LedgerEntry"],
)
def test_changelists_make_a_bounded_number_of_queries(
    superuser_client, superuser, django_assert_max_num_queries, label
):
    from django.apps import apps

    from notifications import texts
    from notifications.services import notification_create

    users = [UserFactory() for _ in range(6)]
    for i, a in enumerate(users):
        for b in users[i + 1 :]:
            thread, _ = messaging_services.thread_get_or_create(user_a=a, user_b=b)
            messaging_services.message_send(sender=a, thread=thread, body="hi", rate_limit=False)
            notification_create(recipient=b, actor=a, kind="new_follower", texts=texts.new_follower(actor=a.username))
    model = apps.get_model(label)
    if label == "payments.LedgerEntry":
        from payments.models import CreditPack, LedgerEntry, Payment

        pack = CreditPack.objects.create(slug="p", name="P", price_cents=100, currency="usd", credits=10)
        for i, a in enumerate(users):
            payment = Payment.objects.create(
                kind="credit_pack",
                credit_pack=pack,
                buyer=a,
                seller=users[0],
                description="x",
                amount_cents=100,
                currency="usd",
                idempotency_key=f"k{i}",
            )
            LedgerEntry.objects.create(
                payment=payment, user=a, entry_type="sale", amount_cents=100, currency="usd", stripe_object_id=f"ch_{i}"
            )
    assert model.objects.count() >= 6
    url = _url(model, "changelist")
    superuser_client.get(url)  # warm the session, content types and permissions
    with django_assert_max_num_queries(12):
        assert superuser_client.get(url).status_code == 200

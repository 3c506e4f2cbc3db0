"""Community health (insights/): exact figures on a scripted community built through the services,
a bounded number of queries whatever the data size, and staff-only access on the API and the
admin page. The tracked SMS link is tests/notifications/test_sms_links.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Sum
from django.urls import reverse

from collective.models import Ask, Connection, Follow, Offer, User
from collective.services.connections import connection_create, connection_transition
from collective.services.follows import follow_create, follow_delete
from insights.selectors import METRIC_KEYS, bucket_starts, community_health
from notifications import texts
from notifications.links import link_token
from notifications.models import Notification, SmsMessage
from notifications.services import notification_create
from tests.conftest import client_for
from tests.factories import AskFactory, OfferFactory, UserFactory
from tests.fakes.sms import _no_one_online, eager_celery, phone_user, sms_outbox  # noqa: F401

pytestmark = pytest.mark.django_db
UTC = dt.UTC
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday; the 4 weeks: Nov 2, 9, 16, 23
OLD = dt.datetime(2026, 10, 1, 9, 0, tzinfo=UTC)  # before the range


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def _place(obj, **times) -> None:
    type(obj).objects.filter(pk=obj.pk).update(**times)


def _series(health, key):
    metric = next(m for m in health.metrics if m.key == key)
    return metric.current, [(p.value, p.added, p.numerator, p.denominator) for p in metric.series]


def _connect(*, initiator, final: str | None, created: dt.datetime, completed: dt.datetime | None = None, **about):
    c = connection_create(initiator=initiator, initial_message="Can I help?", **about)
    if final in ("completed", "declined"):
        responder = User.objects.get(pk=c.responder_id)
        c = connection_transition(connection=c, actor=responder, status="accepted" if final == "completed" else final)
        if final == "completed":
            c = connection_transition(connection=c, actor=responder, status="completed")
    elif final == "cancelled":
        c = connection_transition(connection=c, actor=initiator, status="cancelled")
    _place(c, created_at=created, **({"completed_at": completed} if completed else {}))
    return c


@pytest.fixture
def community(sms_outbox, eager_celery, django_capture_on_commit_callbacks, client):  # noqa: F811
    """A small community over four weeks, every metric with a case in and out of it."""
    users = [UserFactory() for _ in range(12)]
    # Offers: active ones count from their publication; paused, archived and drafts never.
    for published, status, archived in [
        (OLD, "active", False),
        (at(3), "active", False),
        (at(17), "active", False),
        (at(17), "paused", False),
        (at(24), "archived", True),
        (None, "draft", False),
    ]:
        offer = OfferFactory(user=users[0], status=status, is_archived=archived)
        _place(offer, published_at=published, created_at=published or at(10))
    # Asks: fulfilled by a completed connection, or by their owner; the rest not.
    a1, a2, a3, a4, a_old = (AskFactory(user=users[i]) for i in (1, 2, 3, 4, 5))
    for ask, created in [(a1, at(3)), (a2, at(4)), (a3, at(10)), (a4, at(24)), (a_old, OLD)]:
        _place(ask, created_at=created)
    _place(a3, status="fulfilled")
    # Connections: c1 completes a1; c2 declined on a4; c3 an offer inquiry, completed; c4 cancelled;
    # c5 still open; c_old completed before the range.
    offer = Offer.objects.get(published_at=at(3))
    _connect(initiator=users[6], ask=a1, final="completed", created=at(3), completed=at(5))
    _connect(initiator=users[7], ask=a4, final="declined", created=at(24))
    _connect(initiator=users[8], offer=offer, final="completed", created=at(10), completed=at(18))
    _connect(initiator=users[9], responder=users[1], connection_type="direct", final="cancelled", created=at(10))
    _connect(initiator=users[10], responder=users[2], connection_type="direct", final=None, created=at(17))
    _connect(initiator=users[11], ask=a_old, final="completed", created=OLD, completed=OLD + dt.timedelta(days=1))
    # Follows: one before, two in week 2, one in week 4, and one made and taken back.
    for follower, created in [(users[1], OLD), (users[2], at(9)), (users[3], at(10)), (users[4], at(24))]:
        _place(follow_create(follower=follower, following=users[0]), created_at=created)
    follow_create(follower=users[5], following=users[0])
    follow_delete(follower=users[5], following=users[0])
    # SMS: three notifications texted with a link (two opened through it, one twice), one without.
    sent = []
    for words in [
        texts.connection_request(actor="ada", subject="Logo review", message="hi", connection_id=7),
        texts.new_message(actor="ada", preview="hello", thread_id=3),
        texts.ask_response(ask_title="Beta testers", message="me!", connection_id=8),
        texts.help_completed(actor="ada", points=25, connection_id=9),
    ]:
        with django_capture_on_commit_callbacks(execute=True):
            sent.append(
                notification_create(recipient=phone_user(), actor=users[0], kind="connection_request", texts=words)
            )
    for note, when in zip(sent, [at(3), at(3), at(24), at(24)], strict=True):
        SmsMessage.objects.filter(notification=note).update(sent_at=when)
    for note in (sent[0], sent[2], sent[2]):
        assert client.get(f"/n/{link_token(note.pk)}").status_code == 302
    assert len(sms_outbox) == 4 and Notification.objects.filter(sms_opened_at__isnull=False).count() == 2
    return users


def test_every_metric_on_the_scripted_community(community):
    health = community_health(bucket="week", buckets=4, now=NOW)
    assert [p.start for p in health.metrics[0].series] == [at(2, 0), at(9, 0), at(16, 0), at(23, 0)]
    assert [m.key for m in health.metrics] == list(METRIC_KEYS)
    # (value, added, numerator, denominator) per week
    assert _series(health, "active_offers") == (
        3,
        [(2, 1, None, None), (2, 0, None, None), (3, 1, None, None), (3, 0, None, None)],
    )
    assert _series(health, "ask_fulfilment_rate") == (
        0.5,
        [(0.5, None, 1, 2), (1.0, None, 1, 1), (None, None, 0, 0), (0.0, None, 0, 1)],
    )
    assert _series(health, "connection_completion_rate") == (
        0.5,
        [(1.0, None, 1, 1), (0.5, None, 1, 2), (None, None, 0, 0), (0.0, None, 0, 1)],
    )
    assert _series(health, "people_helped") == (
        3,
        [(2, 1, None, None), (2, 0, None, None), (3, 1, None, None), (3, 0, None, None)],
    )
    # The running total of helps is the community's "helped X people": the sum of helped_count.
    assert User.objects.aggregate(total=Sum("helped_count"))["total"] == 3
    assert _series(health, "follows") == (
        4,
        [(1, 0, None, None), (3, 2, None, None), (3, 0, None, None), (4, 1, None, None)],
    )
    assert _series(health, "sms_engagement_rate") == (
        0.6667,
        [(0.5, None, 1, 2), (None, None, 0, 0), (None, None, 0, 0), (1.0, None, 1, 1)],
    )


def test_day_buckets(community):
    health = community_health(bucket="day", buckets=3, now=at(24, 15))  # Nov 22, 23, 24
    assert [p.start.day for p in health.metrics[0].series] == [22, 23, 24]
    assert _series(health, "follows")[1] == [(3, 0, None, None), (3, 0, None, None), (4, 1, None, None)]
    assert _series(health, "connection_completion_rate") == (0.0, [(None, None, 0, 0)] * 2 + [(0.0, None, 0, 1)])


def test_bucket_starts_are_utc_midnights_and_mondays():
    assert bucket_starts(bucket="week", count=2, now=dt.datetime(2026, 11, 30, 0, 0, tzinfo=UTC)) == [
        at(23, 0),
        at(30, 0),
    ]
    assert bucket_starts(bucket="day", count=1, now=dt.datetime(2026, 11, 29, 23, 59, tzinfo=UTC)) == [at(29, 0)]
    with pytest.raises(ValueError):
        community_health(bucket="week", buckets=105)
    with pytest.raises(ValueError):
        community_health(bucket="month")  # type: ignore[arg-type]


def _bulk(n: int) -> None:
    """`n` rows of every table the metrics read, spread over the range (bulk: the figures are
    not the point here, the number of queries is)."""
    users = User.objects.bulk_create([User(username=f"bulk{n}_{i}", email=f"b{n}_{i}@example.com") for i in range(n)])
    owner = users[0]
    Offer.objects.bulk_create(
        [
            Offer(user=owner, title=f"O{i}", slug=f"o{n}-{i}", description="x", offer_type="service", status="active")
            for i in range(n)
        ]
    )
    asks = Ask.objects.bulk_create(
        [Ask(user=owner, title=f"A{i}", slug=f"a{n}-{i}", description="x", ask_type="advice") for i in range(n)]
    )
    Connection.objects.bulk_create(
        [
            Connection(
                initiator=users[i],
                responder=owner,
                ask=asks[i],
                connection_type="ask_response",
                initial_message="hi",
                status=["completed", "declined", "cancelled", "initiated"][i % 4],
                completed_at=NOW - dt.timedelta(days=i % 80) if i % 4 == 0 else None,
            )
            for i in range(1, n)
        ]
    )
    Follow.objects.bulk_create([Follow(follower=users[i], following=owner) for i in range(1, n)])
    notes = Notification.objects.bulk_create(
        [Notification(recipient=users[i], kind="new_follower", title="t", url="/u/x") for i in range(n)]
    )
    SmsMessage.objects.bulk_create(
        [
            SmsMessage(
                key=f"notification:{note.pk}",
                purpose="notification",
                user_id=note.recipient_id,
                notification=note,
                to="+14155550000",
                body=f"t /n/{link_token(note.pk)}",
                status="sent",
                sent_at=NOW - dt.timedelta(days=i % 80),
            )
            for i, note in enumerate(notes)
        ]
    )
    for model in (Offer, Ask, Connection, Follow):
        for i, pk in enumerate(model.objects.values_list("pk", flat=True)):
            model.objects.filter(pk=pk).update(created_at=NOW - dt.timedelta(days=i % 100))
    Notification.objects.filter(pk__in=[n.pk for n in notes[::3]]).update(sms_opened_at=NOW)


@pytest.mark.parametrize("bucket", ["week", "day"])
def test_the_number_of_queries_does_not_grow_with_the_data(bucket, django_assert_num_queries):
    _bulk(10)
    with django_assert_num_queries(9):
        small = community_health(bucket=bucket, now=NOW)
    _bulk(300)
    with django_assert_num_queries(9):
        large = community_health(bucket=bucket, now=NOW)
    current = {m.key: m.current for m in large.metrics}
    assert current["follows"] == 9 + 299 and current["active_offers"] == 310
    assert sum(p.added or 0 for p in next(m for m in small.metrics if m.key == "follows").series) == 9


# ---- the staff API ---------------------------------------------------------------------------


def staff():
    return UserFactory(is_staff=True)


def test_api_is_for_staff_only(api_client):
    url = reverse("staff-health")
    assert api_client.get(url).status_code == 401
    assert client_for(UserFactory()).get(url).status_code == 403
    response = client_for(staff()).get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["bucket"] == "week" and len(body["metrics"]) == 6
    assert all(len(m["series"]) == 12 for m in body["metrics"])


def test_api_answers_the_figures(community):
    body = client_for(staff()).get(reverse("staff-health"), {"bucket": "day", "buckets": 40}).json()
    assert body["bucket"] == "day"
    metrics = {m["key"]: m for m in body["metrics"]}
    assert set(metrics) == set(METRIC_KEYS)
    follows = metrics["follows"]
    assert follows["unit"] == "count" and follows["current"] == 4 and len(follows["series"]) == 40
    point = follows["series"][-1]
    assert set(point) == {"start", "end", "value", "added", "numerator", "denominator"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", point["start"])
    assert metrics["sms_engagement_rate"]["unit"] == "ratio" and "definition" in metrics["sms_engagement_rate"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"bucket": "month"}, "bucket"),
        ({"buckets": "0"}, "buckets"),
        ({"buckets": "abc"}, "buckets"),
        ({"bucket": "week", "buckets": "105"}, "buckets"),
        ({"bucket": "day", "buckets": "367"}, "buckets"),
    ],
)
def test_api_bad_parameters_are_400_in_the_error_shape(params, field):
    response = client_for(staff()).get(reverse("staff-health"), params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] and body["detail"] and field in body["fields"]


def test_api_within_limits_for_day_buckets():
    response = client_for(staff()).get(reverse("staff-health"), {"bucket": "day", "buckets": "366"})
    assert response.status_code == 200 and len(response.json()["metrics"][0]["series"]) == 366


# ---- the admin page --------------------------------------------------------------------------


def test_admin_page_for_staff_only(client):
    url = reverse("admin-health")
    assert url == "/admin/health/"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert AnonymousUser().is_staff is False


def test_admin_page_draws_a_chart_and_a_table_per_metric(client, community):
    client.force_login(staff())
    response = client.get(reverse("admin-health"), {"bucket": "week", "buckets": "12"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="health-chart"') == 6
    assert html.count("<details>") == 6 and html.count("<tbody>") == 6
    for key in METRIC_KEYS:
        assert f'id="metric-{key}"' in html and f'aria-labelledby="t-{key} d-{key}"' in html
    assert "<script" not in html.split('id="content-main"')[1]  # no JavaScript in the charts
    assert "http://" not in html.split('id="content-main"')[1].replace("http://www.w3.org/2000/svg", "")
    assert "Community health" in html and "Follows" in html


def test_admin_page_falls_back_on_bad_parameters(client):
    client.force_login(staff())
    response = client.get(reverse("admin-health"), {"bucket": "year", "buckets": "x"})
    assert response.status_code == 200
    assert response.context["bucket"] == "week" and response.context["buckets"] == 12


def test_the_admin_index_links_the_page(client):
    client.force_login(staff())
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert f'href="{reverse("admin-health")}"' in response.content.decode()

"""The event catalogue: unknown types refused, the validator's rules, the suite-wide check,
the catalogue in step with the serializers and models it mirrors, docs/events.md current."""

from __future__ import annotations

import typing

import pytest
from channels.db import database_sync_to_async

from realtime import catalogue
from realtime.catalogue import EVENTS, EventSchemaError, validate_event
from realtime.publish import apublish_ephemeral, ephemeral_envelope, publish, publish_ephemeral
from tests.event_checks import PROBE, probe
from tests.factories import UserFactory

from .conftest import open_socket, receive_until, send

# --- refusing types -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_publish_refuses_a_type_not_in_the_catalogue_and_writes_nothing():
    from realtime.models import Event

    user = UserFactory()
    with pytest.raises(ValueError, match="unknown event type 'connection.made'"):
        publish([user.pk], "connection.made", {})
    # Refused even with no recipient: a typo must not hide behind an empty audience.
    with pytest.raises(ValueError, match="unknown event type"):
        publish([], "connection.made", {})
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_publish_refuses_ephemeral_types():
    with pytest.raises(ValueError, match="'presence' is ephemeral; use publish_ephemeral"):
        publish([UserFactory().pk], "presence", {})


async def test_ephemeral_publishers_refuse_unknown_and_durable_types():
    with pytest.raises(ValueError, match="unknown event type 'typing.start'"):
        publish_ephemeral([1], "typing.start", {})
    with pytest.raises(ValueError, match="'message.created' is durable; use publish"):
        await apublish_ephemeral([1], "message.created", {})
    with pytest.raises(ValueError, match="unknown event type"):
        ephemeral_envelope("hullo", {})


def test_every_type_the_code_names_is_in_the_catalogue():
    from collective.events import CONNECTION_CREATED, CONNECTION_UPDATED, FOLLOW_CREATED, MATCH_CREATED, POINTS_AWARDED
    from notifications.services import NOTIFICATION_CREATED, NOTIFICATION_UPDATED
    from payments.events import PAYMENT_UPDATED

    durable = {
        PAYMENT_UPDATED,
        CONNECTION_CREATED,
        CONNECTION_UPDATED,
        FOLLOW_CREATED,
        MATCH_CREATED,
        POINTS_AWARDED,
        NOTIFICATION_CREATED,
        NOTIFICATION_UPDATED,
        "message.created",
        "message.updated",
        "message.deleted",
        "thread.read",
    }
    assert catalogue.DURABLE_TYPES == durable
    assert catalogue.EPHEMERAL_TYPES == {
        "typing",
        "presence",
        "presence.state",
        "hello",
        "heartbeat",
        "pong",
        "resumed",
        "resync_required",
        "error",
    }


# --- the validator ------------------------------------------------------------------------------


def _problems(type: str, data: object) -> list[str]:
    try:
        validate_event(type, data)
    except EventSchemaError as exc:
        assert exc.type == type
        return exc.problems
    return []


def _message(**changes: object) -> dict:
    message = {
        "id": 1,
        "thread": 2,
        "sender": 3,
        "body": "hi",
        "body_html": "<p>hi</p>",
        "attachments": [{"type": "offer", "id": 4}],
        "actions": None,
        "client_id": None,
        "created_at": "2025-05-01T10:00:00.123456Z",
        "edited_at": None,
        "deleted_at": None,
        "is_deleted": False,
    }
    return {**message, **changes}


def test_a_valid_payload_passes():
    assert _problems("message.created", {"thread": 2, "message": _message()}) == []
    assert _problems("message.updated", {"thread": 2, "message": _message(edited_at="2025-05-01T10:01:00Z")}) == []


def test_missing_and_unknown_keys_are_named_by_path():
    message = _message(preview="hi")
    del message["body_html"]
    assert _problems("message.created", {"thread": 2, "message": message}) == [
        "data.message.body_html: missing",
        "data.message.preview: not in the schema",
    ]


def test_value_types_nulls_lists_literals_and_timestamps():
    message = _message(
        sender=None,
        is_deleted=1,
        client_id=7,
        edited_at="yesterday",
        attachments=[{"type": "offer", "id": 4}, {"type": "photo", "id": "5"}],
    )
    assert _problems("message.deleted", {"thread": True, "message": message}) == [
        "data.thread: expected int, got bool",  # True is an int in Python, not in JSON
        "data.message.sender: expected int, got null",
        "data.message.attachments[1].type: expected one of ['offer', 'ask', 'connection'], got 'photo'",
        "data.message.attachments[1].id: expected int, got str",
        "data.message.client_id: expected str, got int",
        "data.message.edited_at: expected an ISO 8601 timestamp, got 'yesterday'",
        "data.message.is_deleted: expected bool, got int",
    ]


def test_not_required_keys_and_mappings():
    assert _problems("typing", {"thread": 1, "user": 2, "state": "stop"}) == []
    assert _problems("typing", {"thread": 1, "user": 2, "state": "start", "expires_in": 5.0}) == []
    assert _problems("typing", {"thread": 1, "user": 2, "state": "start", "expires_in": "5"}) == [
        "data.expires_in: expected number, got str"
    ]
    good = {"users": {"7": {"status": "online", "last_seen": None}}}
    assert _problems("presence.state", good) == []
    assert _problems("presence.state", {"users": {"7": {"status": "away", "last_seen": None}}}) == [
        "data.users['7'].status: expected one of ['online', 'offline'], got 'away'"
    ]
    assert _problems("heartbeat", {"beat": 1}) == ["data.beat: not in the schema"]
    assert _problems("nope", {}) == ["not in the catalogue"]


# --- the suite-wide check (tests/event_checks.py) -------------------------------------------------


@pytest.mark.django_db
def test_the_suite_check_records_a_bad_payload_with_its_type_and_path(event_checks):
    user = UserFactory()
    publish([user.pk], "thread.read", {"thread": 1, "user": user.pk, "message": "9"})
    problems = event_checks.take()  # taken, so this deliberate violation does not fail the test
    assert problems == ["event 'thread.read' does not match the catalogue: data.message: expected int, got str"]


@pytest.mark.django_db(transaction=True)
async def test_the_suite_check_sees_durable_and_protocol_frames(event_checks):
    user = await database_sync_to_async(UserFactory)()
    before = event_checks.checked
    await database_sync_to_async(publish)([user.pk], PROBE, probe(1))
    comm, _ = await open_socket(user)  # hello
    await send(comm, {"type": "resume", "last_event_id": 0})  # the replayed row, then resumed
    await receive_until(comm, "resumed")
    await comm.disconnect()
    # publish's envelope, hello, the replayed row's envelope, resumed (presence: nobody to tell).
    assert event_checks.checked - before >= 4
    assert event_checks.take() == []


# --- the catalogue mirrors the code --------------------------------------------------------------


def _fields(serializer_class) -> list[str]:
    return list(serializer_class.Meta.fields)


def test_representations_have_exactly_the_serializers_fields():
    from collective.representations import (
        AskSummarySerializer,
        ConnectionSerializer,
        MatchSerializer,
        OfferSummarySerializer,
        UserSummarySerializer,
    )
    from messaging.representations import AttachmentSerializer, MessageSerializer
    from notifications.serializers import NotificationEventSerializer, NotificationUpdatedEventSerializer
    from payments.representations import PaymentSerializer

    pairs = [
        (catalogue.UserSummary, _fields(UserSummarySerializer)),
        (catalogue.OfferSummary, _fields(OfferSummarySerializer)),
        (catalogue.AskSummary, _fields(AskSummarySerializer)),
        (catalogue.ConnectionRepresentation, _fields(ConnectionSerializer)),
        (catalogue.MessageRepresentation, _fields(MessageSerializer)),
        (catalogue.Attachment, list(AttachmentSerializer().fields)),
        (catalogue.NotificationEventItem, _fields(NotificationEventSerializer)),
        (catalogue.NotificationUpdatedItem, _fields(NotificationUpdatedEventSerializer)),
        (catalogue.PaymentRepresentation, _fields(PaymentSerializer)),
        (catalogue.MatchRepresentation, _fields(MatchSerializer)),
    ]
    for typed, fields in pairs:
        assert list(typing.get_type_hints(typed)) == fields, typed.__name__


def test_literals_are_the_models_choices():
    from collective.models import Ask, Connection, MatchOutcome, Offer, User
    from messaging.models import AttachmentType
    from notifications.models import NotificationKind
    from payments.models import Payment

    def choices(model, field: str) -> list[str]:
        return [value for value, _ in model._meta.get_field(field).choices]

    pairs = [
        (catalogue.Role, choices(User, "role")),
        (catalogue.AvatarFrame, choices(User, "avatar_frame")),
        (catalogue.OfferType, choices(Offer, "offer_type")),
        (catalogue.OfferStatus, choices(Offer, "status")),
        (catalogue.AskType, choices(Ask, "ask_type")),
        (catalogue.AskStatus, choices(Ask, "status")),
        (catalogue.ConnectionType, choices(Connection, "connection_type")),
        (catalogue.ConnectionStatus, choices(Connection, "status")),
        (catalogue.AttachmentType, list(AttachmentType.values)),
        (catalogue.NotificationKind, list(NotificationKind.values)),
        (catalogue.PaymentStatus, choices(Connection, "payment_status")),
        (catalogue.PaymentKind, choices(Payment, "kind")),
        (catalogue.PaymentState, choices(Payment, "status")),
        (catalogue.MatchOutcome, list(MatchOutcome.values)),
    ]
    for literal, values in pairs:
        assert list(typing.get_args(literal)) == values


def test_every_entry_describes_a_typeddict_and_its_audience():
    for type, spec in EVENTS.items():
        assert typing.is_typeddict(spec.data), type
        assert spec.description and spec.recipients and spec.source, type


# --- docs/events.md ------------------------------------------------------------------------------


def test_docs_events_md_is_what_the_generator_writes():
    current = catalogue.DOC_PATH.read_text(encoding="utf-8")
    assert current == catalogue.render_doc(), "docs/events.md is out of date: run `python -m realtime.catalogue`"
    for type in EVENTS:
        assert f"### `{type}`" in current

"""The rules of a message's input, in one place: body, client_id, attachments.

`services.message_send` applies them to every send, whoever calls it (REST, the connection
service, a task). The REST serializers (`api/serializers.py`) call the same functions and turn a
broken rule into their field error, so a rule and its message are written once. `plain_send_input`
is the REST hot path's check that a request body needs no serializer at all: it accepts only what
the serializer would take unchanged and leaves everything else to it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from collective.models import Ask, Connection, Offer
from core.errors import CoreCode, DomainError
from messaging.errors import MessagingCode

from . import conf
from .models import AttachmentType

CLIENT_ID_MAX_CHARS = 64


def body_clean(body: Any) -> str:
    """The body as stored: a str of at most MAX_BODY_CHARS that is not only whitespace (kept as
    sent, untrimmed)."""
    if not isinstance(body, str):
        raise DomainError("A message cannot be empty.", code=CoreCode.BLANK, field="body")
    limit = conf.get("MAX_BODY_CHARS")
    if len(body) > limit:
        raise DomainError(f"A message is at most {limit} characters.", code=CoreCode.MAX_LENGTH, field="body")
    if not body.strip():
        raise DomainError("A message cannot be empty.", code=CoreCode.BLANK, field="body")
    return body


def client_id_valid(client_id: Any) -> bool:
    """None (no idempotency key) or a str of 1 to CLIENT_ID_MAX_CHARS characters."""
    return client_id is None or (isinstance(client_id, str) and 0 < len(client_id) <= CLIENT_ID_MAX_CHARS)


def client_id_error() -> DomainError:
    return DomainError(f"client_id is 1 to {CLIENT_ID_MAX_CHARS} characters.", code=CoreCode.INVALID, field="client_id")


def attachments_count_check(count: int) -> None:
    limit = conf.get("MAX_ATTACHMENTS")
    if count > limit:
        raise DomainError(f"At most {limit} attachments.", code=CoreCode.MAX_LENGTH, field="attachments")


def _attachment_visible(sender: Any, kind: str, obj_id: int) -> bool:
    if kind == AttachmentType.OFFER:
        offer = Offer.objects.filter(pk=obj_id).only("user_id", "status", "is_archived").first()
        return offer is not None and (offer.user_id == sender.pk or offer.is_public)
    if kind == AttachmentType.ASK:
        ask = Ask.objects.filter(pk=obj_id).only("user_id", "is_archived").first()
        return ask is not None and (ask.user_id == sender.pk or ask.is_public)
    if kind == AttachmentType.CONNECTION:
        return Connection.objects.filter(Q(initiator_id=sender.pk) | Q(responder_id=sender.pk), pk=obj_id).exists()
    return False


def attachments_clean(sender: Any, attachments: Any) -> list[dict[str, Any]]:
    """`[{type, id}]` without repeats, each an offer, ask or connection `sender` may see."""
    if not attachments:
        return []
    if not isinstance(attachments, list):
        raise DomainError("Attachments are a list of {type, id}.", code=CoreCode.INVALID, field="attachments")
    attachments_count_check(len(attachments))
    cleaned: list[dict[str, Any]] = []
    for item in attachments:
        kind = item.get("type") if isinstance(item, dict) else None
        obj_id = item.get("id") if isinstance(item, dict) else None
        if kind not in AttachmentType.values or not isinstance(obj_id, int) or isinstance(obj_id, bool):
            raise DomainError(
                "Each attachment is {type: offer|ask|connection, id: int}.", code=CoreCode.INVALID, field="attachments"
            )
        if not _attachment_visible(sender, kind, obj_id):
            # The same answer for "does not exist" and "not yours to see": nothing leaks.
            raise DomainError(
                f"No {kind} {obj_id} you can attach.", code=MessagingCode.ATTACHMENT_NOT_FOUND, field="attachments"
            )
        entry = {"type": kind, "id": obj_id}
        if entry not in cleaned:
            cleaned.append(entry)
    return cleaned


_ABSENT = object()


def _plain_text(value: Any) -> bool:
    """A str DRF's CharField (no trimming) takes as it is: without NUL or surrogate characters."""
    if type(value) is not str or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def plain_send_input(data: Any) -> tuple[str, str | None] | None:
    """`(body, client_id)` when a send request's parsed JSON passes the rules above as it is, with
    no attachments; None when it might not (the serializer then decides, with its own errors)."""
    if type(data) is not dict:
        return None
    body: Any = data.get("body")
    if not _plain_text(body):
        return None
    try:
        body_clean(body)
    except DomainError:
        return None
    client_id: Any = data.get("client_id")
    if client_id is not None and not (_plain_text(client_id) and client_id_valid(client_id)):
        return None
    attachments = data.get("attachments", _ABSENT)
    if attachments is not _ABSENT and not (type(attachments) is list and not attachments):
        return None
    return body, client_id

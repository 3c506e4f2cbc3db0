from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

from channels.layers import get_channel_layer
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

_ids = itertools.count(1)


@csrf_exempt
async def send(request: HttpRequest) -> HttpResponse:
    """`POST /send {to, body, sent_at}`: one `group_send` to `user.<to>`, nothing else."""
    if request.method != "POST":
        return JsonResponse({"code": "method_not_allowed"}, status=405)
    try:
        payload = json.loads(request.body)
        to = int(payload["to"])
        body = str(payload["body"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"code": "invalid"}, status=400)
    event_id = next(_ids)
    # The envelope has the project's shape (contract §3), so frames cost the same to write.
    envelope = {
        "id": event_id,
        "type": "message.created",
        "ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "data": {"thread": 0, "message": {"id": event_id, "body": body, "sent_at": payload.get("sent_at")}},
    }
    await get_channel_layer().group_send(f"user.{to}", {"type": "event.deliver", "event": envelope})
    return JsonResponse({"id": event_id}, status=201)

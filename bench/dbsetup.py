"""Database set-up for the project target, run as `python -m bench.dbsetup <command>` in a subprocess
with the same environment as the servers (so it sees the same database).

- `migrate`: apply migrations.
- `users N`: create N users with API tokens (ORM, bulk), print `[{id, username, token}]`.
- `publish N < user ids`: N events of type `message.created` to each user through the project's own
  `realtime.publish.publish` (one call per event, all users as recipients), print per-user last id.
"""

from __future__ import annotations

import json
import os
import sys
import uuid


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    cmd = sys.argv[1]
    if cmd == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        print(json.dumps({"ok": True}))
    elif cmd == "users":
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password
        from rest_framework.authtoken.models import Token

        n = int(sys.argv[2])
        tag = uuid.uuid4().hex[:6]
        pw = make_password("bench-password-1")
        User = get_user_model()
        users = User.objects.bulk_create(
            [User(username=f"b{tag}{i}", email=f"b{tag}{i}@bench.invalid", password=pw) for i in range(n)],
            batch_size=1000,
        )
        if any(u.pk is None for u in users):  # SQLite before RETURNING, or a backend without it
            users = list(User.objects.filter(username__startswith=f"b{tag}").order_by("id"))
        tokens = Token.objects.bulk_create([Token(user=u, key=Token.generate_key()) for u in users], batch_size=1000)
        rows = [{"id": u.pk, "username": u.username, "token": t.key} for u, t in zip(users, tokens, strict=True)]
        print(json.dumps(rows))
    elif cmd == "publish":
        from realtime.models import Stream
        from realtime.publish import publish

        n = int(sys.argv[2])
        ids = json.loads(sys.stdin.read())
        for i in range(n):
            publish(
                ids,
                "message.created",
                {
                    "thread": 0,
                    "message": {
                        "id": i,
                        "thread": 0,
                        "sender": None,
                        "body": f"missed event {i} " + "x" * 80,
                        "client_id": None,
                        "created_at": "2025-01-01T00:00:00Z",
                    },
                },
            )
        last = dict(Stream.objects.filter(user_id__in=ids).values_list("user_id", "last_event_id"))
        print(json.dumps({str(k): v for k, v in last.items()}))
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from collective.services.users import agent_link
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Link an AI agent user (role 'agent') to the human who owns it, e.g. `link_agent sage allierays`. "
        "Idempotent. With --create-agent, a missing agent user is created with role 'agent' and no usable "
        "password; an existing non-agent user is never converted."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("agent_username")
        parser.add_argument("owner_username")
        parser.add_argument("--create-agent", action="store_true", help="create the agent user if it does not exist")
        parser.add_argument("--email", default=None, help="email for a created agent (default <agent>@agents.invalid)")

    def handle(self, *args, **options) -> None:
        try:
            profile, changed = agent_link(
                agent_username=options["agent_username"],
                owner_username=options["owner_username"],
                create_agent=options["create_agent"],
                email=options["email"],
            )
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        agent, owner = profile.user.username, profile.owner.username
        if changed:
            self.stdout.write(self.style.SUCCESS(f"Linked agent '{agent}' to owner '{owner}'."))
        else:
            self.stdout.write(f"Agent '{agent}' is already owned by '{owner}': nothing to do.")

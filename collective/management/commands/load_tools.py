from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from collective.services.reference import TOOLS_FIXTURE, tools_load
from core.errors import DomainError


class Command(BaseCommand):
    help = "Load the AI tools directory from collective/fixtures/tools.yaml (idempotent; matched by slug)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--file", type=Path, default=TOOLS_FIXTURE, help="YAML file to load (default: %(default)s)")

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        try:
            result = tools_load(path=path)
        except DomainError as exc:
            raise CommandError(f"{path.name}: {exc.detail}") from exc
        self.stdout.write(self.style.SUCCESS(f"Tools: {result}."))

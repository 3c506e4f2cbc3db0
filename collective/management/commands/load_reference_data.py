from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load all reference data: the offer categories, then the tools directory (idempotent). `make run` calls it."

    def handle(self, *args, **options) -> None:
        call_command("seed_offer_categories", stdout=self.stdout, stderr=self.stderr)
        call_command("load_tools", stdout=self.stdout, stderr=self.stderr)

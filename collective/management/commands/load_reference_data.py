from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Load all reference data: the offer categories, the tools directory, and Ava, the onboarding agent "
        "(owned by the platform account `collective`) (idempotent). `make run` calls it."
    )

    def handle(self, *args, **options) -> None:
        call_command("seed_offer_categories", stdout=self.stdout, stderr=self.stderr)
        call_command("load_tools", stdout=self.stdout, stderr=self.stderr)
        # By name, not an import: onboarding is the app that owns Ava (and imports collective).
        call_command("ensure_ava", stdout=self.stdout, stderr=self.stderr)

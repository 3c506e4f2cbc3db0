from __future__ import annotations

from django.core.management.base import BaseCommand

from onboarding.services import PLATFORM_USERNAME, ava_ensure


class Command(BaseCommand):
    help = (
        "Create Ava, the onboarding agent (role 'agent'), and the platform account that owns her "
        f"('{PLATFORM_USERNAME}', staff, no usable password), if missing. Idempotent; load_reference_data calls it."
    )

    def handle(self, *args, **options) -> None:
        ava = ava_ensure()
        self.stdout.write(f"Onboarding agent '{ava.username}' ready (owned by '{PLATFORM_USERNAME}').")

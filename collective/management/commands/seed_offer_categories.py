from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from collective.services.reference import offer_categories_seed
from core.errors import DomainError


class Command(BaseCommand):
    help = "Create or correct the 8 offer categories of seed 000 (idempotent)."

    def handle(self, *args, **options) -> None:
        try:
            result = offer_categories_seed()
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(self.style.SUCCESS(f"Offer categories: {result}."))

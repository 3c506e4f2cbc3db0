"""`manage.py error_codes`: print the error-code registry as docs/errors.md; `--write` writes it there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from core.errors import render_doc


class Command(BaseCommand):
    help = "Print docs/errors.md from the error-code registry (--write: write the file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="write docs/errors.md instead of printing it")

    def handle(self, *args: Any, **options: Any) -> None:
        text = render_doc()
        if options["write"]:
            target = Path(settings.BASE_DIR) / "docs" / "errors.md"
            target.write_text(text)
            self.stdout.write(f"wrote {target}")
        else:
            self.stdout.write(text, ending="")

"""The seed's credit packs (seed 001 §8.7), as data: editable in the admin afterwards."""

from django.db import migrations

PACKS = [
    {"slug": "starter", "name": "Starter", "price_cents": 500, "credits": 100, "bonus_percent": 0, "sort_order": 1},
    {"slug": "builder", "name": "Builder", "price_cents": 2000, "credits": 500, "bonus_percent": 25, "sort_order": 2},
    {"slug": "creator", "name": "Creator", "price_cents": 5000, "credits": 1500, "bonus_percent": 50, "sort_order": 3},
]


def load(apps, schema_editor):
    CreditPack = apps.get_model("payments", "CreditPack")
    for pack in PACKS:
        CreditPack.objects.update_or_create(slug=pack["slug"], defaults={**pack, "currency": "usd"})


def unload(apps, schema_editor):
    apps.get_model("payments", "CreditPack").objects.filter(slug__in=[p["slug"] for p in PACKS]).delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]

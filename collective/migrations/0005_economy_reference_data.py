"""Defaults of the generosity economy: credit costs per feature (seed 001 §8.7) and the peer
badge types (seed 001 §8.11, PEER_BADGES). Frozen here; later edits happen in the admin.
Existing rows are left alone, so a re-run never overwrites a configured cost."""

from django.db import migrations

CREDIT_COSTS = [
    ("ava-session", "Ava conversation session", 1),
    ("social-clip", "Social Clip generation", 5),
    ("course-builder-assist", "Course Builder AI assist", 10),
    ("image-generation", "Image generation", 2),
]

PEER_BADGES = [
    ("amazing-feedback", "Amazing Feedback", "🎯", "quality", "Gave feedback that changed the work."),
    ("thorough-review", "Thorough Review", "🔍", "quality", "Looked at every detail."),
    ("quick-responder", "Quick Responder", "⚡", "speed", "Answered fast."),
    ("fast-helper", "Fast Helper", "🚀", "speed", "Got it done quickly."),
    ("patient-teacher", "Patient Teacher", "🎓", "teaching", "Explained it as many times as needed."),
    ("great-explainer", "Great Explainer", "💡", "teaching", "Made the complex simple."),
    ("welcoming", "Welcoming", "👋", "community", "Made a newcomer feel at home."),
    ("supportive", "Supportive", "🤝", "community", "Encouraged and backed others."),
]


def load(apps, schema_editor):
    CreditCost = apps.get_model("collective", "CreditCost")
    PeerBadgeType = apps.get_model("collective", "PeerBadgeType")
    for slug, name, cost in CREDIT_COSTS:
        CreditCost.objects.get_or_create(slug=slug, defaults={"name": name, "cost": cost})
    for slug, name, icon, category, description in PEER_BADGES:
        PeerBadgeType.objects.get_or_create(
            slug=slug, defaults={"name": name, "icon": icon, "category": category, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("collective", "0004_economy")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

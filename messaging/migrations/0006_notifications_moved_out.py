# Issue 12: the notification models went to the `notifications` app, phone verification to
# `collective` (accounts). Nothing changes in the database: the tables keep their names (the
# models set db_table) and their rows; this migration only takes the models out of messaging's
# state, after notifications 0001 and collective 0009 put them into theirs. The content types
# follow, so permissions granted on them (and admin log entries) stay attached.

from django.db import migrations

MOVED = {
    "notification": "notifications",
    "notificationpreference": "notifications",
    "smsmessage": "notifications",
    "smsoptout": "notifications",
    "phoneverification": "collective",
}


def _move_content_types(apps, schema_editor, *, forward: bool) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model, app_label in MOVED.items():
        old, new = ("messaging", app_label) if forward else (app_label, "messaging")
        if ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            continue  # already there (made by a post_migrate of the new state): keep it
        ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def content_types_forward(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, forward=True)


def content_types_backward(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("messaging", "0005_notification_repeats"),
        ("notifications", "0001_initial"),
        ("collective", "0009_phoneverification"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # SmsMessage first: it points at Notification.
                migrations.DeleteModel(name="SmsMessage"),
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="NotificationPreference"),
                migrations.DeleteModel(name="SmsOptOut"),
                migrations.DeleteModel(name="PhoneVerification"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]

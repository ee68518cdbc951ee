from django.db import migrations


def make_roles(apps, schema_editor) -> None:
    from logging_app.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("logging_app", "0002_console_user_profile"),
    ]

    operations = [migrations.RunPython(make_roles, migrations.RunPython.noop)]

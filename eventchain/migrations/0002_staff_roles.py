"""Create the six staff roles as groups holding their capability permissions."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from eventchain.roles import sync_roles

    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"),
               apps.get_model("contenttypes", "ContentType"))


class Migration(migrations.Migration):
    dependencies = [
        ("eventchain", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]

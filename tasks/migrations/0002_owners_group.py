from django.db import migrations


def create_owners_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="owners")


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_owners_group, migrations.RunPython.noop)]

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("eventchain", "0002_staff_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="VelocityEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("rule", models.CharField(max_length=40)),
                ("subject_type", models.CharField(max_length=40)),
                ("subject_id", models.CharField(max_length=64)),
                ("actor_label", models.CharField(blank=True, max_length=200)),
                ("at", models.DateTimeField()),
            ],
            options={
                "ordering": ["-at", "-id"],
                "indexes": [
                    models.Index(fields=["rule", "subject_type", "subject_id", "at"], name="velocity_event_window")
                ],
            },
        ),
        migrations.CreateModel(
            name="Flag",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("rule", models.CharField(db_index=True, max_length=40)),
                ("subject_type", models.CharField(max_length=40)),
                ("subject_id", models.CharField(max_length=64)),
                ("subject_label", models.CharField(max_length=200)),
                ("subject_url", models.CharField(blank=True, max_length=300)),
                ("count", models.PositiveIntegerField(help_text="Actions counted in the window when the rule tripped.")),
                ("threshold", models.PositiveIntegerField()),
                ("window_seconds", models.PositiveIntegerField()),
                ("first_at", models.DateTimeField(help_text="The earliest counted action.")),
                ("data", models.JSONField(blank=True, default=dict)),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "Open, held"), ("confirmed", "Confirmed, still held"),
                                 ("released", "Released")],
                        db_index=True, default="open", max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                ("note", models.TextField(blank=True)),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["subject_type", "subject_id", "status"], name="velocity_flag_subject")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "open")), fields=("rule", "subject_type", "subject_id"),
                        name="one_open_flag_per_rule_and_subject",
                    )
                ],
            },
        ),
    ]

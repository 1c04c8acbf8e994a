from __future__ import annotations

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        """The intake's periodic jobs, on the platform's scheduler (settings.SCHEDULE)."""
        from intake.tasks import alert_flagged_drafts, remind_unfinished_intakes
        from portal.background.scheduler import Job, register_job

        register_job(Job("draft_safety_alerts", alert_flagged_drafts,
                         "Email the care team about flagged intakes left unsent"))
        register_job(Job("intake_reminders", remind_unfinished_intakes,
                         "Remind clients about an intake left unsent (if the practice "
                         "turned reminders on)"))

from __future__ import annotations

from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = "Measures over time"

    def ready(self) -> None:
        """Listen for sent intakes: their scores are the first points of each series. The
        check-in queue's periodic jobs, on the platform's scheduler (settings.SCHEDULE)."""
        from intake.api import intake_sent
        from measures.intake_scores import on_intake_sent
        from measures.tasks import remind_open_check_ins, run_check_in_queue
        from portal.background.scheduler import Job, register_job

        intake_sent.connect(on_intake_sent, dispatch_uid="measures.intake_scores")

        register_job(Job("check_in_queue", run_check_in_queue,
                         "Open the check-ins that are due and mark those left open too long "
                         "as missed"))
        register_job(Job("check_in_reminders", remind_open_check_ins,
                         "Remind clients about a check-in waiting (at most the practice's "
                         "number, none while paused)"))

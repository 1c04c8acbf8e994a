from __future__ import annotations

from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = "Measures over time"

    def ready(self) -> None:
        """Listen for sent intakes: their scores are the first points of each series."""
        from intake.api import intake_sent
        from measures.intake_scores import on_intake_sent

        intake_sent.connect(on_intake_sent, dispatch_uid="measures.intake_scores")

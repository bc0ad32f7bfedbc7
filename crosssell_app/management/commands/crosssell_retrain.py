"""``manage.py crosssell_retrain``: request a retrain, or run one here and now with ``--sync``."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from crosssell_app.models import TrainingRun
from crosssell_app.retraining import request_retrain
from crosssell_app.training import retrain_in_process
from crosssell_app.training.service import ordered_timings, steps_of_a_run


class Command(BaseCommand):
    help = (
        "Retrain the recommenders from the shop's history and publish new lists. Without --sync the "
        "run is queued for a Celery worker; with --sync it runs in this process with a progress bar."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sync", action="store_true", help="run in this process instead of on a worker")

    def handle(self, *args, **options):
        trigger = TrainingRun.Trigger.COMMAND
        if not options["sync"]:
            run = request_retrain(trigger=trigger)
            run.refresh_from_db()  # sending it to the broker (on commit: here, at once) may have failed it
            if run.status == TrainingRun.Status.FAILED:
                raise CommandError(f"Run {run.pk} failed: {run.error}")
            self._report_queued(run)
            return
        run = self._run_with_progress_bar(trigger)
        if run.status == TrainingRun.Status.COALESCED:
            self._report_queued(run)
            return
        self.stdout.write(self._timings_table(run))
        if run.status != TrainingRun.Status.SUCCEEDED:
            raise CommandError(f"Run {run.pk} {run.status}: {run.error}")
        sizes = ", ".join(f"{n:,} {name}" for name, n in run.data_sizes.items())
        self.stdout.write(self.style.SUCCESS(f"Run {run.pk} published version {run.version} from {sizes}."))
        if run.metrics:
            self.stdout.write("Holdout: " + ", ".join(f"{k} {v}" for k, v in run.metrics.items()))

    def _run_with_progress_bar(self, trigger) -> TrainingRun:
        from tqdm import tqdm

        try:
            steps = steps_of_a_run()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        with tqdm(total=len(steps), desc="retrain", unit="step", file=self.stderr._out) as bar:
            def on_step(name: str) -> None:
                bar.set_postfix_str(name)
                bar.update(1)

            return retrain_in_process(trigger=trigger, on_step=on_step)

    def _report_queued(self, run: TrainingRun) -> None:
        if run.status == TrainingRun.Status.COALESCED:
            self.stdout.write(f"A retrain is already under way (run {run.progress.get('coalesced_into')}); "
                              f"this request is recorded as run {run.pk}, merged into it.")
        else:
            self.stdout.write(f"Retrain queued as run {run.pk}.")

    @staticmethod
    def _timings_table(run: TrainingRun) -> str:
        lines = [f"{'step':<24}{'seconds':>10}{'peak MB':>10}"]
        for step, timing in ordered_timings(run):
            lines.append(f"{step:<24}{timing['seconds']:>10.2f}{timing['peak_mb']:>10.0f}")
        total = sum(t["seconds"] for t in run.timings.values())
        lines.append(f"{'total':<24}{total:>10.2f}")
        return "\n".join(lines)

"""Run the offline evaluation protocol on an order export and print the results table."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Evaluate the recommenders offline on an Online Retail style CSV (time split, hide one item per basket)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--csv", dest="csv", required=True,
                            help="order export in the Online Retail column layout (a .csv or .csv.gz file)")
        parser.add_argument("--cut-date", dest="cut_date", default="2011-11-01", help="test orders start on this date")
        parser.add_argument(
            "--models",
            default="popularity,itemcf,svd,content,hybrid",
            help="comma-separated: popularity,itemcf,usercf,svd,content,mlp,hybrid,hybrid-tuned",
        )
        parser.add_argument(
            "--cases", type=int, default=None, help="most test (and validation) cases (default: every basket)"
        )

    def handle(self, *args, **options) -> None:
        import pandas as pd

        from crosssell_app.evaluation.models import our_specs
        from crosssell_app.evaluation.order_export import load_order_export
        from crosssell_app.evaluation.protocol import evaluate, to_markdown

        try:
            specs = our_specs([m.strip() for m in options["models"].split(",") if m.strip()])
        except ValueError as error:
            raise CommandError(str(error)) from error
        try:
            pd.Timestamp(options["cut_date"])
        except ValueError as error:
            raise CommandError(f"--cut-date {options['cut_date']!r} is not a date: {error}") from error
        try:
            lines = load_order_export(options["csv"])
        except (OSError, EOFError, ValueError, KeyError) as error:  # pandas' parser errors are ValueErrors
            raise CommandError(f"{options['csv']} cannot be read as an order export: "
                               f"{type(error).__name__}: {error}") from error
        table = evaluate(
            lines,
            options["cut_date"],
            specs,
            max_cases=options["cases"],
            log=lambda message: self.stderr.write(message),
        )
        self.stdout.write(to_markdown(table))

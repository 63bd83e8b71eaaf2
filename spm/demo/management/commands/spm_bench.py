from django.core.management.base import BaseCommand, CommandError

from spm.demo.bench import BenchSizes, format_report, run_bench


class Command(BaseCommand):
    help = (
        "Build a synthetic organisation in the current database and time each bulk job "
        "against a floor (the least work the database needs for the same effect)."
    )

    def add_arguments(self, parser):
        defaults = BenchSizes()
        parser.add_argument("--accounts", type=int, default=defaults.accounts)
        parser.add_argument("--territories", type=int, default=defaults.territories)
        parser.add_argument("--reps", type=int, default=defaults.reps)
        parser.add_argument(
            "--months",
            type=int,
            default=defaults.months,
            help="Months of quotas to build (unused until quotas exist).",
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help="Keep the synthetic organisation instead of deleting it at the end.",
        )

    def handle(self, *args, accounts, territories, reps, months, keep, **options):
        if accounts < 1 or reps < 1 or months < 1:
            raise CommandError("--accounts, --reps and --months must be at least 1.")
        if territories < 2:
            raise CommandError("--territories must be at least 2 (a region and a territory).")
        if accounts > 100_000:
            raise CommandError("--accounts is at most 100,000 (the CSV import's limit).")
        sizes = BenchSizes(accounts=accounts, territories=territories, reps=reps, months=months)
        report = run_bench(sizes, keep=keep, log=lambda line: self.stderr.write(line))
        for line in format_report(report):
            self.stdout.write(line)

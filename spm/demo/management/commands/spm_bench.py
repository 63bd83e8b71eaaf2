from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from spm.demo.bench import BenchSizes, bench_options, format_report, run_bench

# Flags of the harness itself: a suite's option may not take one of these names.
CORE_OPTIONS = {"reps", "months", "keep"}


class Command(BaseCommand):
    help = (
        "Build a synthetic organisation in the current database and time each bulk job "
        "against a floor (the least work the database needs for the same effect)."
    )

    def add_arguments(self, parser):
        defaults = BenchSizes()
        # The sizes of the apps' suites (``spm.plugins.BenchOption``), then the core's.
        seen = set(CORE_OPTIONS)
        for option in bench_options():
            if option.name in seen:
                raise ImproperlyConfigured(
                    f"Two bench options are called “{option.name}”: rename one."
                )
            seen.add(option.name)
            parser.add_argument(
                f"--{option.name}",
                dest=option.name,
                type=int,
                default=option.default,
                help=option.help,
            )
        parser.add_argument("--reps", type=int, default=defaults.reps)
        parser.add_argument(
            "--months",
            type=int,
            default=defaults.months,
            help="Months of data to build, for the suites with monthly jobs.",
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help="Keep the synthetic organisation instead of deleting it at the end.",
        )

    def handle(self, *args, reps, months, keep, **options):
        if reps < 1 or months < 1:
            raise CommandError("--reps and --months must be at least 1.")
        values = {}
        for option in bench_options():
            value = options[option.name]
            if value < option.minimum:
                reason = f" ({option.minimum_reason})" if option.minimum_reason else ""
                raise CommandError(f"--{option.name} must be at least {option.minimum}{reason}.")
            if option.maximum is not None and value > option.maximum:
                reason = f" ({option.maximum_reason})" if option.maximum_reason else ""
                raise CommandError(f"--{option.name} is at most {option.maximum:,}{reason}.")
            values[option.name] = value
        sizes = BenchSizes(reps=reps, months=months, options=values)
        report = run_bench(sizes, keep=keep, log=lambda line: self.stderr.write(line))
        for line in format_report(report):
            self.stdout.write(line)

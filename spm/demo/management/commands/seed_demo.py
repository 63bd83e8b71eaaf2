from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from spm.demo.seed import seed_demo

DEFAULT_PASSWORD = "spm-demo-2026"


class Command(BaseCommand):
    help = "Create (or top up) a believable demo organisation and print its logins. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="acme", help="Organisation slug (default: acme).")
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="Password shared by every demo login."
        )

    def handle(self, *args, tenant: str, password: str, **options):
        slug = slugify(tenant)
        if not slug or slug != tenant:
            raise CommandError(f"“{tenant}” is not a valid slug (lowercase letters, digits, -).")
        if len(password) < 8:
            raise CommandError("The demo password needs at least 8 characters.")
        seeded = seed_demo(slug=slug, password=password)
        self.stdout.write(f"Demo organisation: {seeded.tenant.name} (slug {seeded.tenant.slug})")
        self.stdout.write(f"Password for every login: {password}")
        for email, role, name in seeded.logins:
            self.stdout.write(f"  {role:<8} {email:<28} {name}")

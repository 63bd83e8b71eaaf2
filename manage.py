#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spm.settings.local")
    from django.core.management import execute_from_command_line

    from spm.tenancy import rls

    # A command is run by an operator of the whole installation: PostgreSQL's tenant wall
    # is open (migrations, dumps, the shell); work that enters one organisation's
    # context (seed_demo --tenant, rolldown_quotas --tenant) is narrowed to it again.
    rls.open_for_this_thread()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

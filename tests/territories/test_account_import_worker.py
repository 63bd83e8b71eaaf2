"""A big import end to end, as in production: the admin uploads a file, a real ``celery
worker`` process (through Redis, not eagerly) imports it, and the import's page, asked the
way htmx asks it, follows it to its result. Skipped without Redis, except in CI."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from territories import account_imports
from territories import tasks as territories_tasks
from territories.models import Account, AccountImport

from ..conftest import build_org, login
from ..test_celery_worker import TASK_TIMEOUT, redis_worker  # noqa: F401 - a fixture.
from .factories import TerritoryFactory

# Imported, so that the producer app of ``redis_worker`` knows the import's task by name.
assert territories_tasks.run_account_import.name == "territories.tasks.run_account_import"

HEADER = "external_id,name,industry,country,region,postal_code,annual_potential,territory\n"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_imports_a_big_file_while_its_page_follows_it(redis_worker, monkeypatch):  # noqa: F811
    monkeypatch.setattr(account_imports, "INLINE_ROWS", 10)  # 300 rows go to the worker.
    org = build_org("bigfile")
    west = TerritoryFactory(tenant=org.tenant, name="West")
    text = HEADER + "".join(f"B-{n},Big {n},,US,,,{n}00,West\n" for n in range(300))
    client = login(Client(), org.admin)

    response = client.post(
        "/admin/territories/account/import/",
        {"file": SimpleUploadedFile("big.csv", text.encode(), content_type="text/csv")},
    )

    job = AccountImport.all_tenants.get(tenant=org.tenant)
    assert response.status_code == 302 and response.url.endswith(f"/{job.pk}/change/")
    deadline = time.monotonic() + TASK_TIMEOUT
    statuses = []
    while time.monotonic() < deadline:
        fragment = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
        statuses.append(AccountImport.all_tenants.get(pk=job.pk).status)
        if "hx-trigger" not in fragment:
            break
        time.sleep(0.2)
    assert "Import done" in fragment, redis_worker.output()
    assert statuses[0] in ("queued", "running")  # The upload answered before the import.
    job.refresh_from_db()
    assert (job.status, job.accounts_created, job.accounts_moved) == ("done", 300, 300)
    assert Account.all_tenants.filter(tenant=org.tenant, territory=west).count() == 300

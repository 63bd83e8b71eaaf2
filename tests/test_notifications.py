"""The notification centre: list, mark read, open, the unread badge, and the emails."""

import datetime as dt

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from spm.notifications.context_processors import notifications as notifications_context
from spm.notifications.models import Notification
from spm.notifications.services import (
    Message,
    notifications_email,
    notifications_email_pending,
    notify,
)
from spm.notifications.tasks import email_notifications
from spm.tenancy.context import tenant_context

from .factories import UserFactory

INDEX = reverse("notifications:index")
MARK_READ = reverse("notifications:mark_read")


def make(member, title: str = "Something happened", url: str = "", minutes_ago: int = 0, **extra):
    notification = Notification.all_tenants.create(
        tenant=member.tenant, recipient=member, kind="test", title=title, url=url, **extra
    )
    if minutes_ago:
        Notification.all_tenants.filter(pk=notification.pk).update(
            created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
        )
    return notification


def is_read(notification) -> bool:
    return Notification.all_tenants.get(pk=notification.pk).read_at is not None


def open_url(notification) -> str:
    return reverse("notifications:open", args=[notification.pk])


# --- Access ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_visitors_are_sent_to_the_login_page(client, org, method):
    notification = make(org.rep)
    for url in (INDEX, MARK_READ, open_url(notification)):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("account_login"))
    assert not is_read(notification)


def test_a_user_without_an_organisation_is_refused(client, db):
    client.force_login(UserFactory())
    assert client.get(INDEX).status_code == 403


# --- The list ----------------------------------------------------------------------------


def test_the_list_shows_my_notifications_newest_first_with_unread_highlighted(
    org, other, client_for
):
    make(org.rep, "Older and read", minutes_ago=90, read_at=timezone.now())
    make(org.rep, "Newest", minutes_ago=5)
    make(org.outsider_rep, "Someone else's")
    make(other.rep, "Another organisation's")
    response = client_for(org.rep).get(INDEX)
    assert response.status_code == 200
    titles = [n.title for n in response.context["page"].object_list]
    assert titles == ["Newest", "Older and read"]
    content = response.content.decode()
    assert "Someone else" not in content
    assert "Another organisation" not in content
    assert content.count(">Unread</span>") == 1
    assert "5\xa0minutes ago" in content  # relative time
    assert "Mark all as read" in content


def test_a_notification_with_a_url_links_through_the_open_view(org, client_for):
    notification = make(org.rep, url=reverse("territories:mine"))
    content = client_for(org.rep).get(INDEX).content.decode()
    assert f'href="{open_url(notification)}"' in content


def test_the_list_is_paginated(org, client_for):
    for number in range(30):
        make(org.rep, f"Notification {number}", minutes_ago=number + 1)
    client = client_for(org.rep)
    first = client.get(INDEX)
    assert len(first.context["page"].object_list) == 25
    second = client.get(INDEX, {"page": 2})
    assert [n.title for n in second.context["page"].object_list][-1] == "Notification 29"
    assert client.get(INDEX, {"page": "nope"}).status_code == 200


def test_an_empty_list_explains_what_will_appear(org, client_for):
    content = client_for(org.rep).get(INDEX).content.decode()
    assert "No notifications yet" in content
    assert "Mark all as read" not in content


def test_the_list_has_a_query_budget(org, client_for, django_assert_max_num_queries):
    for number in range(40):
        make(org.rep, f"Notification {number}")
    client = client_for(org.rep)
    # Session, user, memberships; count, page; the unread count (once, for badge and button).
    with django_assert_max_num_queries(6):
        response = client.get(INDEX)
    assert len(response.context["page"].object_list) == 25


# --- Marking read ------------------------------------------------------------------------


def test_mark_all_as_read_marks_only_my_notifications(org, other, client_for):
    mine = [make(org.rep), make(org.rep)]
    colleague = make(org.outsider_rep)
    foreign = make(other.rep)
    response = client_for(org.rep).post(MARK_READ)
    assert response.status_code == 302
    assert response.url == INDEX
    assert all(is_read(n) for n in mine)
    assert not is_read(colleague)
    assert not is_read(foreign)


def test_mark_all_as_read_returns_to_the_page_it_came_from_but_never_off_site(org, client_for):
    make(org.rep)
    client = client_for(org.rep)
    response = client.post(MARK_READ, {"next": f"{INDEX}?page=2"})
    assert response.url == f"{INDEX}?page=2"
    response = client.post(MARK_READ, {"next": "https://evil.example/phish"})
    assert response.url == INDEX


def test_marking_one_notification_read_leaves_the_others_unread(org, client_for):
    first, second = make(org.rep), make(org.rep)
    response = client_for(org.rep).post(MARK_READ, {"id": first.pk})
    assert response.status_code == 302
    assert is_read(first)
    assert not is_read(second)


@pytest.mark.parametrize("owner", ["colleague", "other_tenant"])
def test_marking_someone_elses_notification_is_404_and_changes_nothing(
    org, other, client_for, owner
):
    theirs = make(org.outsider_rep if owner == "colleague" else other.rep)
    mine = make(org.rep)
    response = client_for(org.rep).post(MARK_READ, {"id": theirs.pk})
    assert response.status_code == 404
    assert not is_read(theirs)
    assert not is_read(mine)  # a bad id never falls back to "mark all"


@pytest.mark.parametrize("bad_id", ["", "abc", "-1", "1 OR 1=1", "99999999"])
def test_a_malformed_id_is_404_and_changes_nothing(org, client_for, bad_id):
    mine = make(org.rep)
    assert client_for(org.rep).post(MARK_READ, {"id": bad_id}).status_code == 404
    assert not is_read(mine)


def test_marking_read_requires_post(org, client_for):
    mine = make(org.rep)
    assert client_for(org.rep).get(MARK_READ, {"id": mine.pk}).status_code == 405
    assert not is_read(mine)


def test_marking_one_read_with_htmx_returns_the_item_and_the_new_badge(org, client_for):
    first = make(org.rep, "First")
    make(org.rep, "Second")
    response = client_for(org.rep).post(MARK_READ, {"id": first.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert f'id="notification-{first.pk}"' in content
    assert ">Unread</span>" not in content
    assert 'id="notification-bell"' in content
    assert 'hx-swap-oob="true"' in content
    assert '>1<span class="visually-hidden"> unread</span>' in content


# --- Opening a notification --------------------------------------------------------------


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(org, client_for):
    notification = make(org.rep, url=reverse("territories:mine"))
    response = client_for(org.rep).get(open_url(notification))
    assert response.status_code == 302
    assert response.url == reverse("territories:mine")
    assert is_read(notification)


@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/path", "javascript:alert(1)", ""]
)
def test_opening_a_notification_never_leaves_the_site(org, client_for, url):
    notification = make(org.rep, url=url)
    response = client_for(org.rep).get(open_url(notification))
    assert response.status_code == 302
    assert response.url == INDEX
    assert is_read(notification)


@pytest.mark.parametrize("owner", ["colleague", "other_tenant"])
def test_opening_someone_elses_notification_is_404(org, other, client_for, owner):
    theirs = make(org.outsider_rep if owner == "colleague" else other.rep, url="/")
    assert client_for(org.rep).get(open_url(theirs)).status_code == 404
    assert not is_read(theirs)


# --- The unread badge --------------------------------------------------------------------


def test_the_badge_costs_no_query_for_visitors_or_users_without_a_membership(
    db, django_assert_num_queries
):
    request = RequestFactory().get("/")
    request.membership = None
    with django_assert_num_queries(0):
        assert notifications_context(request) == {}
        html = render_to_string("notifications/_bell.html", request=request)
    assert "notification-bell" not in html


def test_the_badge_counts_my_unread_notifications_with_one_query(
    org, other, django_assert_num_queries
):
    make(org.rep)
    make(org.rep)
    make(org.rep, read_at=timezone.now())
    make(org.outsider_rep)
    make(other.rep)
    request = RequestFactory().get("/")
    request.membership = org.rep
    with tenant_context(org.tenant):
        context = notifications_context(request)
        with django_assert_num_queries(1):
            assert context["unread_notification_count"]() == 2
            assert context["unread_notification_count"]() == 2
        request.tenant = org.tenant
        html = render_to_string("notifications/_bell.html", request=request)
    assert f'href="{INDEX}"' in html
    assert '>2<span class="visually-hidden"> unread</span>' in html


def test_the_badge_is_not_counted_when_no_template_uses_it(org, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.membership = org.rep
    with tenant_context(org.tenant), django_assert_num_queries(0):
        notifications_context(request)


def test_the_bell_shows_no_badge_when_everything_is_read(org):
    make(org.rep, read_at=timezone.now())
    request = RequestFactory().get("/")
    request.membership = org.rep
    with tenant_context(org.tenant):
        html = render_to_string("notifications/_bell.html", request=request)
    assert "notification-bell" in html
    assert "unread</span>" not in html


# --- Emails ------------------------------------------------------------------------------


def test_the_email_task_sends_one_email_per_notification_and_only_once(org):
    first = make(org.rep, "You are now owner of West", url="/territories/mine/")
    second = make(org.outsider_rep, "3 accounts moved into East")
    ids = [first.pk, second.pk]
    assert email_notifications.delay(org.tenant.pk, ids).get() == 2
    assert email_notifications.delay(org.tenant.pk, ids).get() == 0
    assert len(mail.outbox) == 2
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert by_recipient[org.rep.user.email].subject == "[SPM] You are now owner of West"
    assert "/territories/mine/" in by_recipient[org.rep.user.email].body
    assert by_recipient[org.outsider_rep.user.email].subject == "[SPM] 3 accounts moved into East"
    assert Notification.all_tenants.filter(emailed_at__isnull=True).count() == 0


def test_the_email_task_ignores_another_organisations_notifications(org, other):
    foreign = make(other.rep)
    assert email_notifications.delay(org.tenant.pk, [foreign.pk]).get() == 0
    assert mail.outbox == []
    assert Notification.all_tenants.get(pk=foreign.pk).emailed_at is None


def test_notify_emails_each_recipient_once_after_the_transaction_commits(
    org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(
            tenant=org.tenant,
            messages=[
                Message(recipient=org.rep, kind="test", title="One"),
                Message(recipient=org.manager, kind="test", title="Two"),
            ],
        )
        assert mail.outbox == []  # nothing is sent before commit
    assert len(callbacks) == 1
    assert sorted(message.subject for message in mail.outbox) == ["[SPM] One", "[SPM] Two"]
    # Running the task again for the same rows (a retry, a duplicate delivery) sends nothing.
    ids = list(Notification.all_tenants.values_list("pk", flat=True))
    email_notifications.delay(org.tenant.pk, ids)
    assert len(mail.outbox) == 2


def test_an_email_is_marked_sent_only_after_the_mail_server_took_it(org, settings):
    notices = [make(org.rep, "One"), make(org.manager, "Two")]
    ids = [notice.pk for notice in notices]
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    with tenant_context(org.tenant), pytest.raises(OSError):
        notifications_email(tenant=org.tenant, notification_ids=ids)
    assert Notification.all_tenants.filter(pk__in=ids, emailed_at__isnull=True).count() == 2

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with tenant_context(org.tenant):
        assert notifications_email(tenant=org.tenant, notification_ids=ids) == 2
    assert sorted(message.subject for message in mail.outbox) == ["[SPM] One", "[SPM] Two"]
    assert Notification.all_tenants.filter(pk__in=ids, emailed_at__isnull=True).count() == 0


def test_the_email_task_retries_with_backoff_while_the_mail_server_is_away():
    assert issubclass(ConnectionRefusedError, email_notifications.autoretry_for)
    assert email_notifications.retry_backoff is True
    assert email_notifications.max_retries >= 5


def test_a_message_with_a_bad_header_fails_alone(org):
    good = make(org.rep, "Fine")
    bad = make(org.manager, "Broken\nBcc: everyone@example.com")
    later = make(org.admin, "Also fine")
    with tenant_context(org.tenant):
        sent = notifications_email(tenant=org.tenant, notification_ids=[good.pk, bad.pk, later.pk])
    assert sent == 2
    assert sorted(message.subject for message in mail.outbox) == ["[SPM] Also fine", "[SPM] Fine"]
    bad.refresh_from_db()
    assert bad.emailed_at is None and bad.email_failed_at is not None
    assert "newline" in bad.email_error.lower() or "header" in bad.email_error.lower()
    # It is not tried again, and nothing is sent twice.
    with tenant_context(org.tenant):
        assert notifications_email(tenant=org.tenant, notification_ids=[bad.pk, good.pk]) == 0
    assert len(mail.outbox) == 2


def test_the_periodic_sweep_emails_what_a_given_up_task_left_waiting(org):
    waiting = make(org.rep, "Waiting")
    Notification.all_tenants.filter(pk=waiting.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    fresh = make(org.manager, "Fresh")  # Its own task is still on it.
    with tenant_context(org.tenant):
        assert (
            notifications_email_pending(tenant=org.tenant, older_than=dt.timedelta(minutes=15)) == 1
        )
    assert [message.subject for message in mail.outbox] == ["[SPM] Waiting"]
    fresh.refresh_from_db()
    assert fresh.emailed_at is None

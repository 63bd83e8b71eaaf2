"""Emails about organisations: invitations."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from .models import Invitation


def send_invitation(*, invitation: Invitation, accept_url: str) -> None:
    """Send ``invitation`` to its address: plain text with an HTML alternative.

    ``accept_url`` is absolute (built from the request), because the link is opened
    from a mail client, outside the site.
    """
    context = {
        "invitation": invitation,
        "tenant": invitation.tenant,
        "inviter": invitation.invited_by,
        "accept_url": accept_url,
        "days_valid": settings.SPM_INVITATION_DAYS,
    }
    subject = render_to_string("tenancy/email/invitation_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # Headers must be one line.
        body=render_to_string("tenancy/email/invitation_message.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(
        render_to_string("tenancy/email/invitation_message.html", context), "text/html"
    )
    message.send()

"""DRF authentication by API token. A token belongs to one membership, so one tenant."""

from django.utils import timezone
from rest_framework import authentication, exceptions

from .context import across_tenants
from .models import ApiToken
from .tokens import digest_key


class MembershipTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``. Sets ``request.auth`` to the ``ApiToken``."""

    keyword = "Token"

    def authenticate_credentials(self, key: str):
        # The tenant is not known yet: the key itself selects it, so the lookup is unscoped.
        with across_tenants():
            token = (
                ApiToken.all_tenants.select_related("membership__user", "membership__tenant")
                .filter(digest=digest_key(key), revoked_at__isnull=True)
                .first()
            )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        membership = token.membership
        today = membership.tenant.today()
        if (
            not membership.user.is_active
            or not membership.tenant.is_active
            or (membership.end_date is not None and membership.end_date < today)
        ):
            raise exceptions.AuthenticationFailed("This token's membership is no longer active.")
        # Recording use at most once a minute keeps authentication from writing on every call.
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            # Unscoped: authentication runs before the token's tenant becomes active.
            with across_tenants():
                ApiToken.all_tenants.filter(pk=token.pk).update(last_used_at=now)
        return membership.user, token

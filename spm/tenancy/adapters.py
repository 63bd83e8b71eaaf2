from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Signup is open: every new account creates its own organisation."""

    def is_open_for_signup(self, request) -> bool:
        return True

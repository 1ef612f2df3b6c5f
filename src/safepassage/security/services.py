"""Account use cases, one facade: accounts and passwords (``accounts``), the second factor
(``totp``), web sessions (``web_sessions``) and API tokens (``tokens``). Entry points import this
module; the parts say why they work as they do.
"""

from __future__ import annotations

from safepassage.security import accounts, tokens, totp, web_sessions
from safepassage.security.accounts import (
    HASHER,
    MIN_PASSWORD_LENGTH,
    LoginLimits,
    PasswordAccepted,
    SecondFactor,
    UserSummary,
    actor_for_user_id,
    change_sites,
    check_password,
    count_users,
    create_user,
    generate_password,
    list_users,
    set_active,
)
from safepassage.security.actors import actor_of
from safepassage.security.tokens import (
    TokenSummary,
    actor_for_token,
    issue_token,
    list_tokens,
    parse_scopes,
    revoke_token,
)
from safepassage.security.totp import Enrolment, begin_enrolment, enrol_now, sealing_key
from safepassage.security.web_sessions import (
    SessionSummary,
    SessionTimeouts,
    end_session,
    end_sessions_of_site,
    end_sessions_of_user,
    open_session,
    open_sessions,
)
from safepassage.uow import UnitOfWork


def authenticate(
    uow: UnitOfWork,
    username: str,
    password: str,
    address: str | None = None,
    limits: LoginLimits | None = None,
) -> PasswordAccepted | None:
    """The password step with the default limits (scripts and tests); see ``check_password``."""
    return check_password(uow, username, password, address=address, limits=limits or LoginLimits())


__all__ = [
    "HASHER",
    "MIN_PASSWORD_LENGTH",
    "Enrolment",
    "LoginLimits",
    "PasswordAccepted",
    "SecondFactor",
    "SessionSummary",
    "SessionTimeouts",
    "TokenSummary",
    "UserSummary",
    "accounts",
    "actor_for_token",
    "actor_for_user_id",
    "actor_of",
    "authenticate",
    "begin_enrolment",
    "change_sites",
    "check_password",
    "count_users",
    "create_user",
    "end_session",
    "end_sessions_of_site",
    "end_sessions_of_user",
    "enrol_now",
    "generate_password",
    "issue_token",
    "list_tokens",
    "list_users",
    "open_session",
    "open_sessions",
    "parse_scopes",
    "revoke_token",
    "sealing_key",
    "set_active",
    "tokens",
    "totp",
    "web_sessions",
]

"""Account writes: registration, credential checks, profile and settings updates, agent ownership.

Validation of the request's shape lives in the API serializers; the rules that must hold whatever
the entry point (uniqueness, agents never logging in with a password, agent ownership) live here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import update_last_login
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from rest_framework.authtoken.models import Token

from collective.errors import CollectiveCode
from collective.models import AgentProfile, User
from collective.models.users import UserRole
from collective.selectors.users import users_named
from core.errors import DomainError, RateLimited
from core.ratelimit import Limit

# Fields of User a member may change through PATCH /me/ (the `settings` object is flattened in).
PROFILE_FIELDS = ("tagline", "bio", "avatar_url", "email")
SETTINGS_FIELDS = ("phone_number", "sms_enabled", "time_zone", "quiet_hours_start", "quiet_hours_end")


def email_normalize(email: str) -> str:
    """Emails are stored lower-cased so the database's unique index is also case-insensitive."""
    return email.strip().lower()


def email_taken(email: str, *, exclude_user_id: int | None = None) -> bool:
    qs = User.objects.filter(email__iexact=email_normalize(email))
    if exclude_user_id is not None:
        qs = qs.exclude(pk=exclude_user_id)
    return qs.exists()


def username_taken(username: str) -> bool:
    # Case-insensitive, so "Alice" cannot impersonate "alice".
    return users_named(username).exists()


def token_for(user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def user_register(*, username: str, email: str, password: str) -> tuple[User, str]:
    """Create a member (role 'explorer') and their API token. Returns (user, token key).

    The caller has validated the password against AUTH_PASSWORD_VALIDATORS. Uniqueness is checked
    here and, for a concurrent duplicate, by the database's case-insensitive unique indexes (mapped to
    the same field error).

    The password is hashed before the transaction opens: PBKDF2 costs ~0.3 s of CPU, and on SQLite
    (IMMEDIATE transactions, one writer) hashing inside the write transaction held the database's
    write lock for all of it, so a burst of registrations queued behind each other's hashes until
    the busy timeout answered "database is locked". The hash needs nothing from the database.
    """
    return _user_create(username=username, email=email_normalize(email), password_hash=make_password(password))


@transaction.atomic
def _user_create(*, username: str, email: str, password_hash: str) -> tuple[User, str]:
    if username_taken(username):
        raise DomainError(
            "A user with that username already exists.", code=CollectiveCode.USERNAME_TAKEN, field="username"
        )
    if email_taken(email):
        raise DomainError("A user with that email already exists.", code=CollectiveCode.EMAIL_TAKEN, field="email")
    # What UserManager.create_user does, less the hashing (done above, outside the transaction).
    user = User(username=User.normalize_username(username), email=email)
    user.password = password_hash
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        field = "email" if "email" in str(exc).lower() else "username"
        raise DomainError(f"A user with that {field} already exists.", code=f"{field}_taken", field=field) from exc
    return user, token_for(user)


def credentials_check(*, request: HttpRequest | None, username: str, password: str) -> User:
    """The active human user these credentials belong to, or `invalid_credentials`.

    Agents have no usable password (link_agent creates them so); an agent that was given one by
    hand is still refused, with the same error so the answer does not reveal which accounts are agents.
    """
    account = login_account_key(username)
    wait = login_account_limit().retry_after(account)
    if wait:
        raise RateLimited(
            f"Too many failed logins for this account; try again in {wait} s.",
            retry_after=wait,
            code=CollectiveCode.TOO_MANY_ATTEMPTS,
        )
    user = authenticate(request=request, username=username, password=password)
    if user is None or user.role == UserRole.AGENT:
        login_account_limit().hit(account)
        raise DomainError("Unable to log in with the provided credentials.", code=CollectiveCode.INVALID_CREDENTIALS)
    return user


def login_account_key(username: str) -> str:
    """One counter per account however the name is spelled (usernames are unique regardless of
    case). Hashed: the cache key holds no user input."""
    return hashlib.sha256(str(username).strip().casefold().encode()).hexdigest()[:32]


def login_account_limit() -> Limit:
    """Failed logins per account, from any address (THROTTLE_LOGIN_ACCOUNT, default 20/hour):
    the per-address limit alone lets a botnet try one password per address."""
    return Limit("login-account", settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login_account"])


def user_token_login(*, request: HttpRequest | None, username: str, password: str) -> str:
    # The password check (PBKDF2, ~0.3 s; and, when the hasher's parameters changed, the rehash
    # and its own save) runs before any transaction opens, for the reason given in user_register.
    user = credentials_check(request=request, username=username, password=password)
    with transaction.atomic():
        update_last_login(User, user)  # a signal receiver: the sender is not used
        return token_for(user)


@transaction.atomic
def user_profile_update(*, user: User, data: dict[str, Any]) -> User:
    """Apply validated profile/settings changes. `data` holds only PROFILE_FIELDS and SETTINGS_FIELDS.

    Changing the phone number clears its verification. Quiet hours must end up both set or both
    empty. A call that changes nothing writes nothing.
    """
    unknown = set(data) - set(PROFILE_FIELDS) - set(SETTINGS_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise DomainError(f"'{field}' cannot be changed here.", code=CollectiveCode.READ_ONLY, field=field)

    user = User.objects.select_for_update().get(pk=user.pk)
    changed: list[str] = []

    if "email" in data:
        email = email_normalize(data["email"])
        if email != user.email:
            if email_taken(email, exclude_user_id=user.pk):
                raise DomainError(
                    "A user with that email already exists.", code=CollectiveCode.EMAIL_TAKEN, field="email"
                )
            user.email = email
            changed.append("email")

    for field in ("tagline", "bio", "avatar_url", "sms_enabled", "time_zone"):
        if field in data and getattr(user, field) != data[field]:
            setattr(user, field, data[field])
            changed.append(field)

    if "phone_number" in data and data["phone_number"] != user.phone_number:
        user.phone_number = data["phone_number"]
        user.phone_verified_at = None
        changed += ["phone_number", "phone_verified_at"]

    start: dt.time | None = data.get("quiet_hours_start", user.quiet_hours_start)
    end: dt.time | None = data.get("quiet_hours_end", user.quiet_hours_end)
    if (start is None) != (end is None):
        missing = "quiet_hours_end" if end is None else "quiet_hours_start"
        raise DomainError(
            "Quiet hours need both a start and an end (or neither).",
            code=CollectiveCode.QUIET_HOURS_INCOMPLETE,
            field=missing,
        )
    if start is not None and start == end:
        raise DomainError(
            "Quiet hours start and end must differ.", code=CollectiveCode.QUIET_HOURS_EMPTY, field="quiet_hours_end"
        )
    if (start, end) != (user.quiet_hours_start, user.quiet_hours_end):
        user.quiet_hours_start, user.quiet_hours_end = start, end
        changed += ["quiet_hours_start", "quiet_hours_end"]

    if changed:
        try:
            with transaction.atomic():
                user.save(update_fields=changed)
        except IntegrityError as exc:
            raise DomainError(
                "A user with that email already exists.", code=CollectiveCode.EMAIL_TAKEN, field="email"
            ) from exc
    return user


@transaction.atomic
def agent_link(
    *, agent_username: str, owner_username: str, create_agent: bool = False, email: str | None = None
) -> tuple[AgentProfile, bool]:
    """Make `agent_username` an agent owned by `owner_username`. Returns (profile, changed).

    Idempotent: linking an agent to the owner it already has changes nothing. A new agent user is
    created (role 'agent', no usable password) only when `create_agent` is set; an existing user is
    never converted to an agent, since that would silently take a human's account away.
    """
    if agent_username.lower() == owner_username.lower():
        raise DomainError(
            "An agent cannot own itself: agent and owner are the same user.", code=CollectiveCode.AGENT_IS_OWNER
        )
    owner = users_named(owner_username).first()
    if owner is None:
        raise DomainError(f"Owner '{owner_username}' does not exist.", code=CollectiveCode.OWNER_NOT_FOUND)
    if owner.role == UserRole.AGENT:
        raise DomainError(
            f"Owner '{owner.username}' is an agent; an agent must be owned by a human user.",
            code=CollectiveCode.OWNER_IS_AGENT,
        )

    agent = users_named(agent_username, User.objects.select_for_update()).first()
    created_user = False
    if agent is None:
        if not create_agent:
            raise DomainError(
                f"Agent user '{agent_username}' does not exist (pass --create-agent to create it).",
                code=CollectiveCode.AGENT_NOT_FOUND,
            )
        agent_email = email_normalize(email or f"{agent_username}@agents.invalid")
        if email_taken(agent_email):
            raise DomainError(
                f"Email '{agent_email}' is already in use.", code=CollectiveCode.EMAIL_TAKEN, field="email"
            )
        agent = User(username=agent_username, email=agent_email, role=UserRole.AGENT)
        agent.set_unusable_password()
        agent.save()
        created_user = True
    elif agent.role != UserRole.AGENT:
        raise DomainError(
            f"User '{agent.username}' has role '{agent.role}', not 'agent'; refusing to convert an existing user.",
            code=CollectiveCode.NOT_AN_AGENT,
        )

    profile = AgentProfile.objects.filter(user=agent).select_related("owner").first()
    if profile is not None:
        if profile.owner_id == owner.pk:
            return profile, created_user
        raise DomainError(
            f"Agent '{agent.username}' is already owned by '{profile.owner.username}'.",
            code=CollectiveCode.AGENT_ALREADY_OWNED,
        )
    profile = AgentProfile.objects.create(user=agent, owner=owner)
    return profile, True

"""API area `accounts`.

Sign-up, login (token and session), CSRF and the member's own profile (docs/accounts.md).
"""

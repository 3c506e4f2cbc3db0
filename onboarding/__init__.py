"""Onboarding: Ava's conversation with a new member, as a real message thread (docs/onboarding.md)."""

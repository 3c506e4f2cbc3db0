"""User constraints held by the database itself."""

import pytest
from django.db import IntegrityError, transaction

from collective.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_usernames_are_unique_whatever_their_case():
    UserFactory(username="ada", email="ada@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="ADA", email="other@example.com")


def test_emails_are_unique_whatever_their_case():
    UserFactory(username="ada", email="ada@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="grace", email="Ada@Example.com")


@pytest.mark.parametrize("field", ["total_points", "credit_balance"])
def test_balances_never_go_negative(field):
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(**{field: -1})


def test_quiet_hours_are_both_set_or_neither():
    import datetime

    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(quiet_hours_start=datetime.time(22, 0))

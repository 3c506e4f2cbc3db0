"""Who hears a user's presence (realtime.selectors.presence_audience_ids): partners by connection
(either side) or thread (either side), followers; never anyone on either side of a block."""

from __future__ import annotations

import pytest

from collective.models import Block, Follow
from collective.services.connections import connection_create
from messaging.services import thread_get_or_create
from realtime.selectors import presence_audience_ids
from tests.factories import OfferFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_audience_is_partners_and_followers_minus_blocks_either_way():
    # Thread ids are ordered (user_low < user_high): one partner below my id, one above.
    low = UserFactory()
    me = UserFactory()
    high = UserFactory()
    thread_get_or_create(user_a=me, user_b=low)
    thread_get_or_create(user_a=me, user_b=high)
    asked_me = UserFactory()  # opened a connection about my offer: I am the responder
    connection_create(initiator=asked_me, offer=OfferFactory(user=me), initial_message="hi")
    i_asked = UserFactory()  # I opened one about theirs: I am the initiator
    connection_create(initiator=me, offer=OfferFactory(user=i_asked), initial_message="hi")
    follower, followed, outsider = UserFactory(), UserFactory(), UserFactory()
    Follow.objects.create(follower=follower, following=me)
    Follow.objects.create(follower=me, following=followed)  # whom I follow does not hear me
    assert presence_audience_ids(user_id=me.pk) == {low.pk, high.pk, asked_me.pk, i_asked.pk, follower.pk}

    Block.objects.create(blocker=me, blocked=low)
    Block.objects.create(blocker=follower, blocked=me)
    assert presence_audience_ids(user_id=me.pk) == {high.pk, asked_me.pk, i_asked.pk}
    assert outsider.pk not in presence_audience_ids(user_id=me.pk)
    assert presence_audience_ids(user_id=outsider.pk) == set()


def test_audience_is_one_query(django_assert_num_queries):
    me = UserFactory()
    for _ in range(3):
        Follow.objects.create(follower=UserFactory(), following=me)
    with django_assert_num_queries(1):
        assert len(presence_audience_ids(user_id=me.pk)) == 3

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from collective.models import AgentProfile, Block, Connection, Follow, Taxonomy, Tool, User
from collective.services.reference import offer_categories_seed
from tests.factories import AskFactory, OfferFactory, ToolFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    superuser = User.objects.create_superuser("root_admin", "root@example.com", "very-secret-pass-42")
    client.force_login(superuser)
    return client


@pytest.fixture
def one_of_each():
    offer_categories_seed()
    a, b = UserFactory(), UserFactory()
    agent = UserFactory(role="agent")
    tool = ToolFactory(category=Taxonomy.objects.get(slug="development"))
    offer = OfferFactory(user=a, category=Taxonomy.objects.get(slug="other"))
    offer.tools.add(tool)
    ask = AskFactory(user=b)
    return {
        User: a,
        Taxonomy: Taxonomy.objects.get(slug="development"),
        Tool: tool,
        type(offer): offer,
        type(ask): ask,
        Connection: Connection.objects.create(
            initiator=b,
            responder=a,
            offer=offer,
            connection_type="offer_inquiry",
            initial_message="Hi",
            status="completed",
            completed_at=timezone.now(),
            initiator_rating=5,
        ),
        Follow: Follow.objects.create(follower=a, following=b),
        AgentProfile: AgentProfile.objects.create(user=agent, owner=a),
        Block: Block.objects.create(blocker=a, blocked=b),
    }


def test_every_collective_model_is_registered():
    models = set(apps.get_app_config("collective").get_models())
    assert models <= set(admin.site._registry), models - set(admin.site._registry)


def test_each_changelist_and_change_page_loads(admin_client, one_of_each):
    for model, obj in one_of_each.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = admin_client.get(changelist)
        assert response.status_code == 200, changelist
        # Search and filters exercise search_fields / list_filter against the database.
        assert admin_client.get(changelist, {"q": "x"}).status_code == 200, changelist
        change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        response = admin_client.get(change)
        assert response.status_code == 200, change
        assert admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")).status_code == 200


def test_user_counters_are_read_only_in_admin(admin_client, one_of_each):
    user = one_of_each[User]
    page = admin_client.get(reverse("admin:collective_user_change", args=[user.pk])).content.decode()
    for counter in ("total_points", "credit_balance", "helped_count", "followers_count"):
        assert f'name="{counter}"' not in page  # rendered as text, not an input
    assert 'name="tagline"' in page and 'name="role"' in page


def test_admin_requires_staff(client):
    response = client.get(reverse("admin:collective_tool_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_every_registered_collective_changelist_loads(admin_client, one_of_each):
    # Covers models registered later by other areas (economy ledgers...), empty or not.
    for model in apps.get_app_config("collective").get_models():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url

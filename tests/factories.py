"""Factories for the domain models. Counters are never set here: services maintain them."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from collective.models import Ask, Offer, Taxonomy, TaxonomyType, Tool, User


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class TaxonomyFactory(DjangoModelFactory):
    class Meta:
        model = Taxonomy

    taxonomy_type = TaxonomyType.TOPIC
    name = factory.Sequence(lambda n: f"Topic {n}")


class CategoryFactory(TaxonomyFactory):
    taxonomy_type = TaxonomyType.OFFER_CATEGORY
    name = factory.Sequence(lambda n: f"Category {n}")


class ToolFactory(DjangoModelFactory):
    class Meta:
        model = Tool

    name = factory.Sequence(lambda n: f"Tool {n}")
    tagline = "An AI tool"


class OfferFactory(DjangoModelFactory):
    class Meta:
        model = Offer

    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Offer {n}")
    description = "A useful thing."
    offer_type = "service"
    status = "active"


class AskFactory(DjangoModelFactory):
    class Meta:
        model = Ask

    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Ask {n}")
    description = "Looking for help."
    ask_type = "advice"  # neutral: feedback and beta_tester asks earn a bonus on completion

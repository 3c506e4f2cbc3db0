from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from collective.models import AgentProfile, Taxonomy, TaxonomyType, Tool, User
from collective.services.reference import OFFER_CATEGORIES, TOOLS_FIXTURE, tools_load
from tests.factories import TaxonomyFactory, UserFactory

pytestmark = pytest.mark.django_db


def run(*args, **kwargs) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


def counts() -> tuple[int, int, int]:
    return (
        Taxonomy.objects.filter(taxonomy_type=TaxonomyType.OFFER_CATEGORY).count(),
        Tool.objects.count(),
        Taxonomy.objects.filter(taxonomy_type=TaxonomyType.TOOL).count(),
    )


# --- offer categories --------------------------------------------------------------------------


def test_seed_offer_categories_exact_rows_and_idempotent():
    assert "8 created" in run("seed_offer_categories")
    rows = {t.slug: (t.name, t.description) for t in Taxonomy.objects.filter(taxonomy_type="offer_category")}
    assert rows == {slug: (name, desc) for slug, name, desc in OFFER_CATEGORIES}
    assert rows["operations"] == ("Operations & Productivity", "Workflow automation, project management")
    assert rows["other"] == ("Other", "Doesn't fit other categories")

    assert "0 created, 0 updated, 8 unchanged" in run("seed_offer_categories")
    assert Taxonomy.objects.count() == 8


def test_seed_offer_categories_repairs_edited_rows():
    run("seed_offer_categories")
    Taxonomy.objects.filter(slug="development").update(name="Dev", is_active=False)
    assert "1 updated" in run("seed_offer_categories")
    row = Taxonomy.objects.get(slug="development")
    assert (row.name, row.is_active) == ("Development & Technical", True)


def test_seed_offer_categories_refuses_a_slug_taken_by_another_type():
    TaxonomyFactory(slug="other", name="Other topic", taxonomy_type="topic")
    with pytest.raises(CommandError, match="'other' is taken by a taxonomy entry of type 'topic'"):
        run("seed_offer_categories")
    assert not Taxonomy.objects.filter(taxonomy_type="offer_category").exists()  # atomic


# --- tools -------------------------------------------------------------------------------------


def test_fixture_is_a_realistic_directory():
    doc = yaml.safe_load(TOOLS_FIXTURE.read_text())
    slugs = [t["slug"] for t in doc["tools"]]
    assert 25 <= len(slugs) <= 40
    for expected in (
        "claude",
        "chatgpt",
        "midjourney",
        "elevenlabs",
        "cursor",
        "github-copilot",
        "perplexity",
        "runway",
        "suno",
        "notion-ai",
        "zapier",
        "make",
        "n8n",
        "langchain",
        "hugging-face",
        "stable-diffusion",
        "dall-e",
        "gemini",
        "copy-ai",
        "jasper",
        "descript",
        "synthesia",
        "otter-ai",
        "fireflies",
        "intercom-fin",
        "replit",
        "v0",
        "lovable",
        "bolt",
        "gamma",
    ):
        assert expected in slugs
    used = {t["category"] for t in doc["tools"]}
    assert len(used) >= 7  # the directory spans the categories, not one bucket


def test_load_tools_creates_tools_with_their_taxonomy_rows_and_is_idempotent():
    out = run("load_tools")
    n = len(yaml.safe_load(TOOLS_FIXTURE.read_text())["tools"])
    assert f"{n} created" in out
    assert counts() == (8, n, n)

    claude = Tool.objects.select_related("taxonomy", "category").get(slug="claude")
    assert claude.name == "Claude"
    assert claude.category.slug == "development"
    assert claude.pricing_model == "freemium" and claude.has_free_tier and claude.is_featured
    assert claude.usage_tips and all(isinstance(t, str) for t in claude.usage_tips)
    assert claude.taxonomy.taxonomy_type == "tool"
    assert claude.taxonomy.slug == "claude"
    assert claude.taxonomy.website_url == claude.website_url == "https://claude.ai"
    assert claude.taxonomy.logo_url is None  # empty in the YAML
    assert claude.taxonomy.usage_tips == claude.usage_tips
    assert claude.taxonomy.best_for == claude.best_for
    assert Tool.objects.get(slug="dall-e").name == "DALL·E"

    before = {t.slug: t.updated_at for t in Tool.objects.all()}
    out = run("load_tools")
    assert f"0 created, 0 updated, {n} unchanged" in out
    assert counts() == (8, n, n)
    assert {t.slug: t.updated_at for t in Tool.objects.all()} == before


def test_load_tools_updates_existing_rows_by_slug(tmp_path: Path):
    run("load_tools")
    doc = yaml.safe_load(TOOLS_FIXTURE.read_text())
    doc["tools"][0]["tagline"] = "Changed tagline"
    doc["tools"][0]["best_for"] = ["Only this"]
    doc["tools"][0]["category"] = "other"
    path = tmp_path / "tools.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    first = doc["tools"][0]["slug"]

    out = run("load_tools", file=path)
    assert "0 created, 1 updated" in out
    tool = Tool.objects.select_related("taxonomy", "category").get(slug=first)
    assert tool.tagline == "Changed tagline"
    assert tool.category.slug == "other"
    assert tool.taxonomy.best_for == ["Only this"]
    assert Tool.objects.filter(slug=first).count() == 1
    assert Taxonomy.objects.filter(taxonomy_type="tool", tool__slug=first).count() == 1


def test_load_tools_takes_another_taxonomy_slug_when_a_topic_holds_it():
    TaxonomyFactory(slug="claude", name="Claude (topic)", taxonomy_type="topic")
    run("load_tools")
    tool = Tool.objects.select_related("taxonomy").get(slug="claude")
    assert tool.taxonomy.taxonomy_type == "tool"
    assert tool.taxonomy.slug == "claude-2"
    run("load_tools")  # and stays linked, without creating a third row
    assert Taxonomy.objects.filter(name__startswith="Claude").count() == 2


def test_load_reference_data_runs_both_and_is_idempotent():
    run("load_reference_data")
    first = counts()
    assert first[0] == 8 and first[1] >= 25
    run("load_reference_data")
    assert counts() == first


VALID = {
    "name": "Thing",
    "slug": "thing",
    "tagline": "t",
    "description": "d",
    "category": "development",
    "website_url": "https://thing.example.com",
    "pricing_model": "free",
}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"pricing_model": "cheap"}, "tool #2 'thing': field 'pricing_model': 'cheap' is not one of"),
        ({"category": "cooking"}, "tool #2 'thing': field 'category': 'cooking' is not one of"),
        ({"website_url": "not a url"}, "tool #2 'thing': field 'website_url': 'not a url' is not a valid"),
        ({"logo_url": "ftp://x.example.com/a.png"}, "field 'logo_url'"),
        ({"has_free_tier": "yes"}, "tool #2 'thing': field 'has_free_tier': must be true or false"),
        ({"usage_tips": "one tip"}, "field 'usage_tips': must be a list of non-empty strings"),
        ({"best_for": [1, 2]}, "field 'best_for': must be a list of non-empty strings"),
        ({"name": None}, "tool #2 'thing': field 'name': is required"),
        ({"slug": "Not A Slug"}, "field 'slug': 'Not A Slug' is not a valid slug"),
        ({"slug": "first"}, "field 'slug': 'first' appears more than once"),
        ({"colour": "red"}, "tool #2 'thing': field 'colour': unknown field"),
        ({"tagline": "x" * 201}, "field 'tagline': is longer than 200 characters"),
    ],
)
def test_load_tools_rejects_bad_data_naming_tool_and_field(tmp_path: Path, change, message):
    first = {**VALID, "name": "First", "slug": "first"}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"tools": [first, {**VALID, **change}]}))
    with pytest.raises(CommandError) as info:
        run("load_tools", file=path)
    assert message in str(info.value)
    assert str(info.value).startswith("bad.yaml:")
    assert not Tool.objects.exists()  # nothing written when any entry is bad


@pytest.mark.parametrize(
    "text, message",
    [
        ("tools: [", "not valid YAML"),
        ("- a\n- b\n", "expected a top-level 'tools:' list"),
        ("tools:\n  - just a string\n", "tool #1: expected a mapping"),
    ],
)
def test_load_tools_rejects_malformed_files(text, message):
    with pytest.raises(Exception) as info:
        tools_load(text=text)
    assert message in str(info.value)


def test_load_tools_missing_file(tmp_path: Path):
    with pytest.raises(CommandError, match="cannot read"):
        run("load_tools", file=tmp_path / "nope.yaml")


# --- link_agent --------------------------------------------------------------------------------


def test_link_agent_creates_agent_with_no_usable_password_and_is_idempotent():
    owner = UserFactory(username="allierays")
    out = run("link_agent", "sage", "allierays", "--create-agent")
    assert "Linked agent 'sage' to owner 'allierays'" in out
    sage = User.objects.get(username="sage")
    assert sage.role == "agent"
    assert not sage.has_usable_password()
    assert sage.agent_profile.owner == owner

    out = run("link_agent", "sage", "allierays", "--create-agent")
    assert "already owned by 'allierays': nothing to do" in out
    assert run("link_agent", "sage", "allierays").count("nothing to do") == 1
    assert User.objects.filter(username="sage").count() == 1
    assert AgentProfile.objects.count() == 1


def test_link_agent_links_an_existing_agent():
    UserFactory(username="allierays")
    UserFactory(username="sage", role="agent")
    run("link_agent", "sage", "allierays")
    assert AgentProfile.objects.get().user.username == "sage"


@pytest.mark.parametrize(
    "setup, args, message",
    [
        (lambda: UserFactory(username="owner"), ["ghost", "owner"], "does not exist (pass --create-agent"),
        (
            lambda: UserFactory(username="owner"),
            ["sage", "owner_missing", "--create-agent"],
            "Owner 'owner_missing' does not exist",
        ),
        (
            lambda: UserFactory(username="owner"),
            ["owner", "owner", "--create-agent"],
            "agent and owner are the same user",
        ),
        (
            lambda: (UserFactory(username="owner"), UserFactory(username="human")),
            ["human", "owner", "--create-agent"],
            "User 'human' has role 'explorer', not 'agent'; refusing",
        ),
        (
            lambda: (UserFactory(username="bot", role="agent"), UserFactory(username="sage", role="agent")),
            ["sage", "bot"],
            "Owner 'bot' is an agent",
        ),
    ],
    ids=["agent-missing", "owner-missing", "self", "not-an-agent", "owner-is-agent"],
)
def test_link_agent_refusals(setup, args, message):
    setup()
    before_users = User.objects.count()
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace("'", "'")):
        run("link_agent", *args)
    assert AgentProfile.objects.count() == 0
    assert User.objects.count() == before_users
    assert not User.objects.filter(role="agent").exclude(username__in=["bot", "sage"]).exists()


def test_link_agent_refuses_to_move_an_agent_to_another_owner():
    UserFactory(username="alice")
    UserFactory(username="bob")
    run("link_agent", "sage", "alice", "--create-agent")
    with pytest.raises(CommandError, match="already owned by 'alice'"):
        run("link_agent", "sage", "bob")
    assert AgentProfile.objects.get().owner.username == "alice"

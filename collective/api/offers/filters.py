"""Query-string filters of the offer, ask and people lists.

Every parameter is validated: a value that does not parse (an unknown type or slug, a negative
price, `is_paid=maybe`, an unknown ordering) is a 400 naming the parameter, never ignored and
never a 500. Multi-valued parameters take repeated keys or commas: `?offer_type=app,course`.
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django import forms
from django.db.models import Q, QuerySet
from rest_framework import filters as drf_filters
from rest_framework.exceptions import ValidationError

from collective.models import Ask, AskStatus, AskType, Offer, OfferStatus, OfferType, Taxonomy, Tool
from collective.models.taxonomy import TAG_TYPES, TaxonomyType
from collective.selectors.search import MAX_QUERY_LENGTH, RANK_ANNOTATION, search_for_model

# The largest value the price columns hold; larger input would overflow SQLite's integer.
MAX_CENTS = 2**31 - 1
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class StrictBooleanField(forms.Field):
    """`true/false/1/0/yes/no`; anything else is an error rather than "no filter"."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise forms.ValidationError("Expected true or false.")


class StrictBooleanFilter(df.Filter):
    field_class = StrictBooleanField


class CSVMultipleChoiceField(forms.MultipleChoiceField):
    def to_python(self, value: Any) -> list[str]:
        values = super().to_python(value)
        return [part.strip() for v in values for part in str(v).split(",") if part.strip()]


class CSVMultipleChoiceFilter(df.MultipleChoiceFilter):
    field_class = CSVMultipleChoiceField


class CSVModelMultipleChoiceField(df.fields.ModelMultipleChoiceField):
    def clean(self, value: Any) -> Any:
        if value:
            value = [part.strip() for v in value for part in str(v).split(",") if part.strip()]
        return super().clean(value)


class CSVModelMultipleChoiceFilter(df.ModelMultipleChoiceFilter):
    """Any of the given slugs (OR); rows matching several are returned once."""

    field_class = CSVModelMultipleChoiceField

    def get_filter_predicate(self, v: Any) -> dict[str, Any]:
        # django-filter would compare the relation's pk with `to_field_name` (the slug).
        return {self.field_name: v}


def _categories(request: Any = None) -> QuerySet[Taxonomy]:
    return Taxonomy.objects.filter(taxonomy_type=TaxonomyType.OFFER_CATEGORY)


def _tags(request: Any = None) -> QuerySet[Taxonomy]:
    return Taxonomy.objects.filter(taxonomy_type__in=TAG_TYPES)


def _tools(request: Any = None) -> QuerySet[Tool]:
    return Tool.objects.all()


class _CommonFilterSet(df.FilterSet):
    category = df.ModelChoiceFilter(field_name="category", to_field_name="slug", queryset=_categories)
    tags = CSVModelMultipleChoiceFilter(field_name="tags", to_field_name="slug", queryset=_tags)
    tools = CSVModelMultipleChoiceFilter(field_name="tools", to_field_name="slug", queryset=_tools)
    user = df.CharFilter(field_name="user__username")
    min_price = df.NumberFilter(method="filter_noop", min_value=0, max_value=MAX_CENTS, decimal_places=0)
    max_price = df.NumberFilter(method="filter_noop", min_value=0, max_value=MAX_CENTS, decimal_places=0)

    def filter_noop(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset  # the price range is applied as a whole in filter_queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        low, high = self.form.cleaned_data.get("min_price"), self.form.cleaned_data.get("max_price")
        if low is not None and high is not None and low > high:
            raise ValidationError({"min_price": ["min_price cannot exceed max_price."]})
        queryset = super().filter_queryset(queryset)
        if low is not None or high is not None:
            queryset = self.filter_price(
                queryset, None if low is None else int(low), None if high is None else int(high)
            )
        return queryset

    def filter_price(self, queryset: QuerySet, low: int | None, high: int | None) -> QuerySet:
        """Narrow to the price range [low, high] (cents, either end open). Abstract: offers
        (price) and asks (budget range) each implement it below."""
        raise NotImplementedError(f"{type(self).__name__} must implement filter_price")


class OfferFilterSet(_CommonFilterSet):
    offer_type = CSVMultipleChoiceFilter(choices=OfferType.choices)
    type = CSVMultipleChoiceFilter(field_name="offer_type", choices=OfferType.choices)
    status = CSVMultipleChoiceFilter(choices=OfferStatus.choices)
    is_paid = StrictBooleanFilter(field_name="is_paid")
    is_featured = StrictBooleanFilter(field_name="is_featured")

    class Meta:
        model = Offer
        fields: list[str] = []

    def filter_price(self, queryset: QuerySet, low: int | None, high: int | None) -> QuerySet:
        if low is not None:
            queryset = queryset.filter(price_cents__gte=low)
        if high is not None:
            queryset = queryset.filter(price_cents__lte=high)
        return queryset


class AskFilterSet(_CommonFilterSet):
    ask_type = CSVMultipleChoiceFilter(choices=AskType.choices)
    type = CSVMultipleChoiceFilter(field_name="ask_type", choices=AskType.choices)
    status = CSVMultipleChoiceFilter(choices=AskStatus.choices)
    is_paid_opportunity = StrictBooleanFilter(field_name="is_paid_opportunity")
    is_paid = StrictBooleanFilter(field_name="is_paid_opportunity")

    class Meta:
        model = Ask
        fields: list[str] = []

    def filter_price(self, queryset: QuerySet, low: int | None, high: int | None) -> QuerySet:
        """Budget overlap: the ask's [min, max] (an unset end is open) meets [low, high].
        An ask with no budget at all does not match a price filter."""
        queryset = queryset.filter(Q(budget_min_cents__isnull=False) | Q(budget_max_cents__isnull=False))
        if low is not None:
            queryset = queryset.filter(Q(budget_max_cents__isnull=True) | Q(budget_max_cents__gte=low))
        if high is not None:
            queryset = queryset.filter(Q(budget_min_cents__isnull=True) | Q(budget_min_cents__lte=high))
        return queryset


class StrictOrderingFilter(drf_filters.OrderingFilter):
    """DRF's OrderingFilter drops unknown fields silently; here they are a 400. Ties are broken
    by `-id` so that pages do not overlap. A searched list (`search_rank` annotated) comes best
    first unless `ordering` is given."""

    def get_ordering(self, request, queryset, view) -> list[str]:
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [p.strip() for p in params.split(",") if p.strip()]
            allowed = {f for f, _ in self.get_valid_fields(queryset, view, {"request": request})}
            bad = [f for f in fields if f.lstrip("-") not in allowed]
            if bad or not fields:
                choices = ", ".join(sorted(allowed))
                message = f"Unknown ordering {', '.join(bad) or params!r}; use one of: {choices} (- for descending)."
                raise ValidationError({self.ordering_param: [message]})
            ordering = fields
        elif RANK_ANNOTATION in queryset.query.annotations:
            ordering = [f"-{RANK_ANNOTATION}"]
        else:
            ordering = list(self.get_default_ordering(view) or [])
        if "id" not in {f.lstrip("-") for f in ordering}:
            ordering.append("-id")
        return ordering


class StrictSearchFilter(drf_filters.SearchFilter):
    max_length = MAX_QUERY_LENGTH

    def get_search_terms(self, request) -> list[str]:
        raw = request.query_params.get(self.search_param, "")
        if len(raw) > self.max_length:
            raise ValidationError({self.search_param: [f"At most {self.max_length} characters."]})
        return super().get_search_terms(request)


class FullTextSearchFilter(StrictSearchFilter):
    """`?search=` as ranked full-text search (collective/selectors/search.py): a sentence's words
    are stemmed and OR-ed, results are annotated with `search_rank`. Empty: no filter; only
    stopwords: nothing matches."""

    search_description = "Words to search for (a sentence is fine); results come best first."

    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        self.get_search_terms(request)  # the length check
        text = request.query_params.get(self.search_param, "")
        if not text.strip():
            return queryset
        return search_for_model(model=queryset.model, viewer=request.user, text=text, qs=queryset)

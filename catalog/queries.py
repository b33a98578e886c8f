"""Reads of the catalog: what a person may order, the portal's lists, search.

Who may order an item (its audience): everyone, or members of the listed organisations or auth
groups. Only active items of active categories (and active parent categories) can be ordered;
the services open an item for orders only once its form is published.
"""

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, Expression, Q, QuerySet

from servicedesk.queries import IdInArray, TicketDocumentMatches, search_query

from .choices import Audience, ItemState
from .models import CatalogCategory, CatalogItem

ITEM_ORDERINGS = {"position": ("position", "name", "id"), "name": ("name", "id"), "id": ("id",)}
DEFAULT_ITEM_ORDERING = "position"
# What the portal's lists and the API list read of an item (never the long description).
ITEM_LIST_FIELDS = ("id", "category_id", "name", "short_description", "icon", "picture", "price", "currency",
                    "delivery_days", "position", "state", "translations", "category__name",
                    "category__translations")


class ItemDocumentMatches(TicketDocumentMatches):
    """``catalog_catalogitem.search_document @@ query``: the column is not a model field
    (migration catalog 0003), so the ORM cannot name it."""

    def __init__(self, query):
        Expression.__init__(self)
        self.column, self.query = "search_document", query

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        query_sql, params = compiler.compile(self.query)
        # A scalar subquery: the tsquery is built once (an InitPlan), not once per row, which made
        # PostgreSQL estimate a seq scan so costly that it JIT-compiled the query (~40 ms).
        return f"{alias}.search_document @@ (SELECT {query_sql})", params


def audience_filter(user) -> Q:
    """Items ``user`` is in the audience of.

    The restricted items come as ``id = ANY(ARRAY(…))`` (as the ticket visibility's watched
    tickets), which PostgreSQL runs once: under an OR an ``EXISTS`` was costed per row, and the
    estimate made it JIT-compile every catalog page's query (+30–40 ms, bench/README.md).
    """
    allowed = Q(audience=Audience.EVERYONE)
    if user is None or not user.is_authenticated:
        return allowed
    group_ids = user.groups.through.objects.filter(user_id=user.pk).values("group_id")
    members = CatalogItem.groups.through.objects.filter(group_id__in=group_ids).values("catalogitem_id")
    if user.organisation_id:
        members = members.union(CatalogItem.organisations.through.objects.filter(
            organisation_id=user.organisation_id).values("catalogitem_id"), all=True)
    return allowed | Q(IdInArray("pk", ArraySubquery(members)))


def orderable_items(user) -> QuerySet:
    """Active items of active categories that ``user`` may order (audience rules)."""
    return CatalogItem.objects.filter(
        Q(category__parent__isnull=True) | Q(category__parent__active=True),
        audience_filter(user), state=ItemState.ACTIVE, category__active=True,
    )


def can_order(user, item) -> bool:
    return orderable_items(user).filter(pk=item.pk).exists()


def search_items(queryset: QuerySet, text: str) -> QuerySet:
    """Items of ``queryset`` whose name or descriptions, in English or Korean, match ``text``
    (every word, as a prefix; Korean words by their two-character tokens)."""
    text = (text or "").strip()
    if not text:
        return queryset
    query = search_query(text)
    if query is None:
        return queryset.none()
    return queryset.filter(ItemDocumentMatches(query))


def item_list(user, *, category: CatalogCategory | None = None, text: str = "") -> QuerySet:
    """Orderable items for a list (portal or API), with their category's name, in one query."""
    items = orderable_items(user)
    if category is not None:
        items = items.filter(category=category)
    return search_items(items, text).select_related("category").only(*ITEM_LIST_FIELDS)


def categories_for(user) -> list[CatalogCategory]:
    """Active categories with how many items ``user`` may order in each (``orderable``), those with
    none left out: two queries whatever their number."""
    counts = dict(orderable_items(user).order_by().values("category_id").annotate(n=Count("id"))
                  .values_list("category_id", "n"))
    categories = CatalogCategory.objects.filter(pk__in=list(counts)).order_by("position", "name")
    for category in categories:
        category.orderable = counts[category.pk]
    return list(categories)


def orderable_item(user, pk) -> CatalogItem | None:
    """The item ``pk`` with its current form and questions if ``user`` may order it, else None."""
    item = (orderable_items(user).select_related("category", "current_form", "fulfilment_team")
            .filter(pk=pk).first())
    if item is not None and item.current_form is not None:
        item.questions = list(item.current_form.questions.select_related("ci_class"))
        item.current_form._prefetched_objects_cache = {"questions": item.questions}
    return item

"""Article search: PostgreSQL full text with the ticket search's Hangul two-character tokens, ranked,
with highlighted excerpts; and the "article" suggestion source of portal deflection.

The query is ``servicedesk.queries.search_query`` (Latin words as prefixes, Korean words as the AND
of their two-character tokens) against ``knowledge_article.search_document`` (migration 0002), so
``프린터`` finds ``프린터가 인쇄를 안 해요`` and ``vpn`` finds "VPN client". Rank is ``ts_rank_cd``
normalised to 0..1 (``rank / (rank + 1)``) so that suggestion sources compare.
"""

import re
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import BooleanField, Expression, FloatField, QuerySet, Value
from django.db.models.functions import Left
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from servicedesk.queries import HANGUL_RE, MAX_SEARCH_TERMS, WORD_RE, search_query
from servicedesk.registry import Suggestion, suggestion_sources

from .queries import articles_visible_to

SNIPPET_CHARS = 180


def tsquery_text(text: str) -> str | None:
    """The raw tsquery the ticket search would run for ``text`` (None when it has no words)."""
    query = search_query(text)
    if query is None:
        return None
    return query.source_expressions[-1].value


def tsquery_any(text: str) -> str | None:
    """A raw tsquery matching any word of ``text``: Latin words as prefixes, Korean words as any of their
    two-character tokens, so a sentence with particles (``인쇄가 안 돼요``) still finds ``인쇄를``.

    Single characters are left out: they would match nearly everything.
    """
    terms: dict[str, None] = {}
    for word in WORD_RE.findall(text or "")[:MAX_SEARCH_TERMS]:
        word = word.lower()
        for run in HANGUL_RE.findall(word):
            terms.update((f"'{run[i:i + 2]}'", None) for i in range(len(run) - 1))
        terms.update((f"'{token}':*", None) for token in HANGUL_RE.sub(" ", word).split() if len(token) > 1)
    return " | ".join(terms) or None


class _Document(Expression):
    """An expression on ``knowledge_article.search_document`` (not a model field: migration 0002),
    qualified by the query's own alias for the article table, so it is right inside subqueries too."""

    template = ""
    output_field = BooleanField()

    def __init__(self, raw: str):
        super().__init__()
        self.raw = raw

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return self.template.format(document=f"{alias}.search_document"), [self.raw]


class DocumentMatches(_Document):
    template = "{document} @@ to_tsquery('simple', %s)"
    conditional = True


class DocumentRank(_Document):
    # Normalisation 32 divides the rank by itself plus one: a score in 0..1 that sources compare.
    template = "ts_rank_cd({document}, to_tsquery('simple', %s), 32)"
    output_field = FloatField()


@contextmanager
def index_search():
    """Run the searches inside through the GIN index: PostgreSQL misjudges how many articles a prefix
    (``'ku':*``) or an OR of tokens matches, and with a LIMIT it then chose to read the table in order,
    testing each document: 300 ms for a word no article holds (bench/README.md, "knowledge").
    ``SET LOCAL`` lasts until the end of this transaction only."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        yield


# How many matching articles a search ranks at most. Ranking reads each match's whole document, so a
# word found in most of 50,000 articles took 0.5–1 s to rank; the index finds the matches in a few
# milliseconds, and these candidates are ranked (docs/knowledge.md, "Search").
RANK_CANDIDATES = 200


def search_articles(qs: QuerySet, text: str, *, match: str = "all", candidates: int = RANK_CANDIDATES) -> QuerySet:
    """``qs`` narrowed to the articles matching ``text``, best first, with ``rank`` (0..1).

    ``match="all"`` needs every word (the search pages); ``"any"`` ranks articles by how many of the
    words they hold (deflection, where people type whole sentences). At most ``candidates`` matches
    are ranked.
    """
    raw = tsquery_text(text) if match == "all" else tsquery_any(text)
    if raw is None:  # no word to look for (punctuation, a single letter): nothing, with the same columns
        return qs.none().annotate(rank=Value(0.0, output_field=FloatField()))
    matching = qs.filter(DocumentMatches(raw)).order_by().values("pk")[:candidates]
    return qs.filter(pk__in=matching).annotate(rank=DocumentRank(raw)).order_by("-rank", "-id")


# --- Highlights -----------------------------------------------------------------------------

_MARKUP = [
    (re.compile(r"```.*?```", re.S), " "),
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+", re.M), ""),
    (re.compile(r"[*_`~|]+"), ""),
    (re.compile(r"\s+"), " "),
]


def plain_text(markdown_text: str) -> str:
    """Markdown reduced to its words, for excerpts."""
    text = markdown_text or ""
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return text.strip()


def _terms_pattern(text: str) -> re.Pattern | None:
    terms = set()
    for word in WORD_RE.findall(text or "")[:MAX_SEARCH_TERMS]:
        word = word.lower()
        for run in HANGUL_RE.findall(word):
            # The whole word, else its two-character tokens (a particle may follow the noun: 인쇄가 / 인쇄를).
            terms.add(re.escape(run))
            terms.update(re.escape(run[i:i + 2]) for i in range(len(run) - 1))
        terms.update(f"\\b{re.escape(t)}" for t in HANGUL_RE.sub(" ", word).split())
    terms = {t for t in terms if t}
    if not terms:
        return None
    return re.compile("|".join(sorted(terms, key=len, reverse=True)), re.I)


def highlight(text: str, query: str, *, length: int = SNIPPET_CHARS) -> SafeString:
    """An excerpt of ``text`` around the first matched word, escaped, with the matched words in ``<mark>``."""
    pattern = _terms_pattern(query)
    first = pattern.search(text) if pattern else None
    start = 0
    if first is not None and first.start() > length // 3:
        start = text.rfind(" ", 0, first.start() - length // 4) + 1
    excerpt = text[start:start + length]
    out, position = [], 0
    for match in (pattern.finditer(excerpt) if pattern else ()):
        out.append(escape(excerpt[position:match.start()]))
        out.append(f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    out.append(escape(excerpt[position:]))
    prefix = "… " if start else ""
    suffix = " …" if start + length < len(text) else ""
    return mark_safe(prefix + "".join(out) + suffix)  # noqa: S308 - every piece is escaped above


def title_html(title: str, query: str) -> SafeString:
    return highlight(title, query, length=len(title) + 1)


# --- Suggestions ----------------------------------------------------------------------------


def article_suggestions(text: str, user, limit: int) -> list[Suggestion]:
    """The "article" suggestion source: published articles the person may read, best first."""
    if not text or not text.strip():
        return []
    visible = articles_visible_to(user, portal=True)
    fields = ("id", "title", "excerpt", "rank")
    with index_search():
        rows = list(search_articles(visible, text).annotate(excerpt=Left("body", 4000)).values(*fields)[:limit])
        if len(rows) < limit:  # people type sentences: then the articles holding most of the words
            found = [row["id"] for row in rows]
            rows += list(search_articles(visible.exclude(pk__in=found), text, match="any")
                         .annotate(excerpt=Left("body", 4000)).values(*fields)[:limit - len(rows)])
    return [Suggestion(source="article", ident=str(row["id"]), title=row["title"],
                       snippet=highlight(plain_text(row["excerpt"]), text),
                       url=reverse("portal:knowledge_article", args=[row["id"]]), score=float(row["rank"]))
            for row in rows]


def suggestions(text: str, user, limit: int) -> list[Suggestion]:
    """Every registered suggestion source's answers for ``text`` (articles, known errors …), merged by score."""
    merged: list[Suggestion] = []
    for fn in suggestion_sources().values():
        merged.extend(fn(text, user, limit))
    merged.sort(key=lambda suggestion: suggestion.score, reverse=True)
    return merged[:limit]

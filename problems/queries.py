"""Reads of problems and the known-error database shared by the console, the portal and the API."""

import html
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse

from accounts.roles import can_work_tickets
from cmdb.models import ConfigurationItem
from servicedesk.choices import TicketKind
from servicedesk.models import Ticket
from servicedesk.queries import HANGUL_RE, WORD_RE, search_query, tickets_visible_to
from servicedesk.registry import Suggestion

from .models import KnownError, ProblemCandidate

# Keyset orderings of the problem list (esm/pagination.py): each ends in id.
PROBLEM_ORDERINGS = {
    "priority": ("priority", "id"),
    "-opened_at": ("-opened_at", "-id"),
    "-updated_at": ("-updated_at", "-id"),
}
DEFAULT_PROBLEM_ORDERING = "-opened_at"
KNOWN_ERROR_ORDERINGS = {"-updated_at": ("-updated_at", "-id"), "-id": ("-id",), "title": ("title", "id")}
CANDIDATE_ORDERINGS = {"-last_opened_at": ("-last_opened_at", "-id")}


def problems_visible_to(user) -> QuerySet:
    """Problem tickets: desk staff only (requesters see no problems)."""
    if not can_work_tickets(user):
        return Ticket.objects.none()
    return tickets_visible_to(user).filter(kind=TicketKind.PROBLEM)


def problem_rows_queryset(user) -> QuerySet:
    """List rows: the ticket with its problem row, people, team and service joined (a fixed query count)."""
    return problems_visible_to(user).select_related(
        "problem", "problem__problem_manager", "team", "assignee", "service")


def problem_managers() -> QuerySet:
    """Active people granted ``problems.manage_problems`` through a role or directly (one query)."""
    from accounts.models import User

    granted = {"codename": "manage_problems", "content_type__app_label": "problems"}
    return User.objects.filter(is_active=True).filter(
        Q(**{f"groups__permissions__{k}": v for k, v in granted.items()})
        | Q(**{f"user_permissions__{k}": v for k, v in granted.items()})).distinct()


def known_errors_for(user) -> QuerySet:
    if not can_work_tickets(user):
        return KnownError.objects.none()
    return KnownError.objects.all()


def known_error_rows(qs: QuerySet) -> QuerySet:
    return qs.select_related("problem__ticket", "category__parent").prefetch_related(
        Prefetch("cis", queryset=ConfigurationItem.objects.only("id", "name")),
        Prefetch("services", queryset=ConfigurationItem.objects.only("id", "name")))


def candidates_for(user) -> QuerySet:
    if not can_work_tickets(user):
        return ProblemCandidate.objects.none()
    return ProblemCandidate.objects.select_related("ci")


def linked_incidents(ticket: Ticket) -> list[Ticket]:
    """The problem's incidents, open ones first (one query)."""
    return list(Ticket.objects.filter(problem_link__problem_id=ticket.pk)
                .select_related("assignee", "requester").order_by("-active", "-opened_at", "id")[:500])


# --- Text similarity --------------------------------------------------------------------------

# Words that match nearly every text add nothing to similarity.
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "cannot", "could", "did", "do", "does",
    "for", "from", "has", "have", "how", "in", "is", "it", "its", "my", "no", "not", "of", "on", "or", "our",
    "so", "that", "the", "their", "them", "there", "this", "to", "too", "was", "we", "were", "what", "when",
    "where", "which", "while", "who", "why", "will", "with", "you", "your",
})
MAX_WORDS = 10  # the title's and the description's first words
# Verb endings and particles that recur in nearly every Korean sentence (…습니다, …에서).
KOREAN_ENDINGS = frozenset({
    "니다", "습니", "합니", "됩니", "입니", "어요", "아요", "해요", "세요", "에서", "으로", "지만",
    "는데", "하고", "않습", "않아", "되지", "하지", "있습", "었습", "였습", "했습",
})


def _word_terms(word: str) -> list[str]:
    """One word's tsquery terms, as ``esm_search_document`` indexes them: Korean runs as their
    two-character tokens (서버 matches inside 메일서버), Latin words as prefixes."""
    terms = []
    for run in HANGUL_RE.findall(word):
        terms += [g for g in (run[i:i + 2] for i in range(len(run) - 1)) if g not in KOREAN_ENDINGS]
    for token in HANGUL_RE.sub(" ", word).split():
        if len(token) >= 3 and token not in STOP_WORDS and not token.isdigit():
            terms.append(f"'{token.replace(chr(39), '')}':*")
    return [t if t.endswith(":*") else f"'{t}'" for t in dict.fromkeys(terms)]


def similarity_words(text: str) -> list[str]:
    """``text``'s first significant words, each as a tsquery (a Korean word as the OR of its
    two-character tokens, so particles as in 서버가 do not stop it)."""
    words: list[str] = []
    for word in WORD_RE.findall((text or "").lower()):
        terms = _word_terms(word)
        if terms:
            group = "(" + " | ".join(terms) + ")" if len(terms) > 1 else terms[0]
            if group not in words:
                words.append(group)
        if len(words) == MAX_WORDS:
            break
    return words


def similarity_query(text: str) -> str | None:
    """The OR of ``text``'s words: what ``ts_rank`` scores a known error against."""
    return " | ".join(similarity_words(text)) or None


@dataclass
class KnownErrorMatch:
    id: int
    title: str
    symptoms: str
    workaround: str
    workaround_public: bool
    problem_number: str | None
    same_ci: bool
    same_service: bool
    same_category: bool
    score: float


# Candidates: known errors sharing at least two of the text's words (one when it has one word) —
# one small GIN lookup per word, counted, the 50 sharing most kept — and those on the same CIs or
# services. A word found in very many known errors is weak evidence and costly to count: each word
# contributes at most WORD_CAP rows, and a busy service or CI its 50 newest known errors (those
# that also share words come through the text). Sharing one word ("minutes", "서버") says little; one big OR'ed
# tsquery made the GIN index evaluate every clause for every posting (170 ms at 50,000 known
# errors). Only the few
# candidates are ranked: ts_rank normalised to 0..1 (flag 32), plus boosts for what they share.
SUGGEST_SQL = """
WITH words AS (SELECT to_tsquery('simple', w) AS q FROM unnest(%(words)s::text[]) w),
text_hits AS (
    SELECT ke.id FROM words CROSS JOIN LATERAL (
        SELECT k.id FROM problems_knownerror k WHERE k.search_document @@ words.q AND k.status = 'active'
        LIMIT %(word_cap)s) ke
    GROUP BY ke.id HAVING count(*) >= %(need)s
    ORDER BY count(*) DESC, ke.id DESC LIMIT 50
),
cand AS (
    SELECT id FROM text_hits
    UNION
    (SELECT kc.knownerror_id FROM problems_knownerror_cis kc WHERE kc.configurationitem_id = ANY({cis})
     ORDER BY kc.knownerror_id DESC LIMIT 50)
    UNION
    (SELECT ks.knownerror_id FROM problems_knownerror_services ks WHERE ks.configurationitem_id = ANY(%(services)s)
     ORDER BY ks.knownerror_id DESC LIMIT 50)
)
SELECT ke.id, ke.title, ke.symptoms, ke.workaround, ke.workaround_public, t.number AS problem_number,
       ci.hit IS NOT NULL AS same_ci, sv.hit IS NOT NULL AS same_service, same_category,
       (CASE WHEN %(has_q)s THEN ts_rank(ke.search_document, to_tsquery('simple', %(q)s), 32) ELSE 0 END) * 2
       + 0.5 * (ci.hit IS NOT NULL)::int + 0.3 * (sv.hit IS NOT NULL)::int + 0.2 * same_category::int AS score
FROM cand JOIN problems_knownerror ke ON ke.id = cand.id
LEFT JOIN servicedesk_ticket t ON t.id = ke.problem_id
-- One probe of the (known error, CI) index per candidate, not a hash of every link of a busy service.
LEFT JOIN LATERAL (SELECT true AS hit FROM problems_knownerror_cis kc
                   WHERE kc.knownerror_id = ke.id AND kc.configurationitem_id = ANY({cis}) LIMIT 1) ci ON true
LEFT JOIN LATERAL (SELECT true AS hit FROM problems_knownerror_services ks
                   WHERE ks.knownerror_id = ke.id AND ks.configurationitem_id = ANY(%(services)s) LIMIT 1) sv ON true,
LATERAL (SELECT ke.category_id IS NOT NULL AND ke.category_id IS NOT DISTINCT FROM %(category)s AS same_category) b
WHERE ke.status = 'active' AND (%(public_only)s = false OR ke.workaround_public)
ORDER BY score DESC, ke.id DESC
LIMIT %(limit)s
"""


RELATIVE_CUT = 0.3
WORD_CAP = 1000
SUGGEST_FOR_CIS_SQL = SUGGEST_SQL.replace("{cis}", "%(cis)s")
# For an incident, its CIs are read by the same statement.
SUGGEST_FOR_TICKET_SQL = SUGGEST_SQL.replace(
    "{cis}", "ARRAY(SELECT tc.ci_id FROM servicedesk_ticketci tc WHERE tc.ticket_id = %(ticket)s LIMIT 200)")
# The incident page's card in one statement: its problem, the workarounds applied, the suggestions.
INCIDENT_PANEL_SQL = """
SELECT (SELECT json_build_object('number', t.number, 'title', t.title, 'state', t.state)
        FROM problems_problemincident pi JOIN servicedesk_ticket t ON t.id = pi.problem_id
        WHERE pi.incident_id = %(ticket)s),
       ARRAY(SELECT u.known_error_id FROM problems_knownerroruse u WHERE u.incident_id = %(ticket)s),
       CASE WHEN %(suggest)s THEN (SELECT json_agg(row_to_json(s)) FROM ({suggest}) s) END
""".replace("{suggest}", SUGGEST_FOR_TICKET_SQL)  # constant SQL: values travel as parameters


def _params(*, text: str, service_ids=(), category_id: int | None = None, limit: int = 5,
            public_only: bool = False, **extra) -> dict:
    words = similarity_words(text)
    return {"words": words, "need": min(2, len(words)) or 1, "word_cap": WORD_CAP, "q": " | ".join(words) or "x",
            "has_q": bool(words), "services": list(service_ids), "category": category_id, "limit": limit,
            "public_only": public_only, **extra}


def _best(matches: list[KnownErrorMatch]) -> list[KnownErrorMatch]:
    """A known error sharing a stray word or two with the text is noise next to a close match."""
    best = matches[0].score if matches else 0
    return [m for m in matches if m.score >= best * RELATIVE_CUT]


def suggest_known_errors(*, text: str, ci_ids=(), service_ids=(), category_id: int | None = None,
                         limit: int = 5, public_only: bool = False) -> list[KnownErrorMatch]:
    """Active known errors that match, best first: text similarity plus the same CIs, services, category.

    A known error appears only when it shares two of the text's words (its one word), a CI or a
    service; the category only ranks.
    """
    if not similarity_words(text) and not ci_ids and not service_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(SUGGEST_FOR_CIS_SQL, _params(text=text, service_ids=service_ids, category_id=category_id,
                                                    limit=limit, public_only=public_only, cis=list(ci_ids)))
        return _best([KnownErrorMatch(*row) for row in cursor.fetchall()])


def _ticket_params(ticket: Ticket, limit: int) -> dict:
    return _params(text=f"{ticket.title} {ticket.description[:2000]}", limit=limit, ticket=ticket.pk,
                   service_ids=[ticket.service_id] if ticket.service_id else [], category_id=ticket.category_id)


def suggestions_for_incident(ticket: Ticket, limit: int = 5) -> list[KnownErrorMatch]:
    """Known errors for an incident: its title and description, CIs, service and category (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(SUGGEST_FOR_TICKET_SQL, _ticket_params(ticket, limit))
        return _best([KnownErrorMatch(*row) for row in cursor.fetchall()])


@dataclass
class IncidentPanel:
    problem: dict | None  # number, title, state
    applied: set[int]
    suggestions: list[KnownErrorMatch]


def incident_panel(ticket: Ticket, limit: int = 5) -> IncidentPanel:
    """What the incident page's card shows, in one query; suggestions only while the incident is open."""
    with connection.cursor() as cursor:
        cursor.execute(INCIDENT_PANEL_SQL, {**_ticket_params(ticket, limit), "suggest": ticket.active})
        problem, applied, suggestions = cursor.fetchone()
    return IncidentPanel(problem=problem, applied=set(applied or ()),
                         suggestions=_best([KnownErrorMatch(**row) for row in suggestions or []]))


def search_known_errors(qs: QuerySet, text: str) -> QuerySet:
    """The KEDB search: every word must occur (the ticket search's rules), best matches first."""
    query = search_query(text)
    if query is None:
        return qs.none()
    return qs.filter(search_document=query)


# --- The portal's deflection source -------------------------------------------------------------


def _snippet(text: str, query_text: str, length: int = 220) -> str:
    """An escaped excerpt with the typed words in <mark>."""
    excerpt = html.escape(" ".join((text or "").split())[:length])
    words = sorted({w for w in WORD_RE.findall((query_text or "").lower()) if len(w) >= 2}, key=len, reverse=True)
    if not words:
        return excerpt
    pattern = re.compile("|".join(re.escape(html.escape(w)) for w in words[:12]), re.IGNORECASE)
    return pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", excerpt)


def known_error_suggestions_for_portal(text: str, user, limit: int) -> list[Suggestion]:
    """Suggestion source "known_error": active known errors whose workaround is public, for what the
    requester types; each links to its portal page (``/portal/known-errors/<id>/``)."""
    if not (text or "").strip() or user is None or not user.is_authenticated:
        return []
    matches = suggest_known_errors(text=text, limit=limit, public_only=True)
    return [Suggestion(source="known_error", ident=str(m.id), title=m.title,
                       snippet=_snippet(m.symptoms, text),
                       url=reverse("portal:known_error", args=[m.id]), score=min(1.0, m.score / 2))
            for m in matches if m.score > 0]


def open_incident_filter() -> Q:
    return Q(kind=TicketKind.INCIDENT, active=True)


def candidate_incident_numbers(candidates) -> dict[int, list[str]]:
    """The incident numbers of each candidate, oldest first, in one query for a page of them."""
    through = ProblemCandidate.incidents.through
    numbers: dict[int, list[str]] = {}
    for cid, number in (through.objects.filter(problemcandidate_id__in=[c.pk for c in candidates])
                        .order_by("ticket_id").values_list("problemcandidate_id", "ticket__number")):
        numbers.setdefault(cid, []).append(number)
    return numbers

"""Every write of the knowledge app (docs/architecture.md, rule 1): articles and versions, publishing,
feedback, knowledge tasks (KBT tickets), links to incidents and deflection records.

Publishing locks the article row and switches its current version in one transaction; the partial
unique index ``article_one_current_version`` makes a second current version impossible even if two
publishers raced past the lock (docs/knowledge.md, "Versions").
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.roles import MANAGE_KNOWLEDGE, can_manage_knowledge, can_work_tickets
from esm.errors import DomainError, NotPermitted, StaleVersion
from esm.services import service
from servicedesk import approvals
from servicedesk import services as desk
from servicedesk.choices import EventKind, Priority, TicketKind
from servicedesk.models import ApprovalPolicy, Ticket
from servicedesk.notifications import notify
from servicedesk.rendering import MAX_BODY_CHARS
from servicedesk.workflow import Actor

from .choices import LOW_RATING, ArticleState, PublishingPolicy, TaskState, TaskType, VersionState
from .models import (
    Article,
    ArticleVersion,
    DeflectionRead,
    DeflectionSession,
    Feedback,
    KnowledgeBase,
    KnowledgeTask,
    TicketArticle,
)
from .workflow import ACTIONS_BY_NAME, TASK_WORKFLOW

MAX_TAGS = 20
MAX_TAG_CHARS = 40
SYSTEM = {Actor.SYSTEM}


class ArticleConflict(DomainError):
    code = "article_conflict"


# --- Checks ---------------------------------------------------------------------------------


def require_desk(actor: User | None) -> None:
    if actor is not None and not can_work_tickets(actor):
        raise NotPermitted(_("Only service desk staff can write articles."))


def require_manager(actor: User | None) -> None:
    if actor is not None and not can_manage_knowledge(actor):
        raise NotPermitted(_("Only knowledge managers can do this."), code="knowledge_manager_required")


def clean_tags(tags) -> list[str]:
    """Tags as a list of distinct, trimmed, lower-case words (a comma-separated string is split)."""
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned: list[str] = []
    for tag in tags or ():
        tag = " ".join(str(tag).split()).lower()
        if not tag or tag in cleaned:
            continue
        if len(tag) > MAX_TAG_CHARS:
            raise ValidationError({"tags": _("Keep each tag under %(n)s characters.") % {"n": MAX_TAG_CHARS}})
        cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": _("Use at most %(n)s tags.") % {"n": MAX_TAGS}})
    return cleaned


def _check_text(title: str, body: str) -> None:
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Write a short title.")
    elif len(title) > 200:
        errors["title"] = _("Keep the title under 200 characters.")
    if len(body or "") > MAX_BODY_CHARS:
        errors["body"] = _("The article is too long.")
    if "\x00" in (title or "") + (body or ""):
        errors["body"] = _("The text contains invalid characters.")
    if errors:
        raise ValidationError(errors)


def default_valid_to(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today + timedelta(days=settings.KNOWLEDGE_VALID_DAYS)


def review_due_at(valid_to: date | None) -> datetime | None:
    """When the owner's review task opens: the notice period before the article leaves the portal."""
    if valid_to is None:
        return None
    start = datetime.combine(valid_to - timedelta(days=settings.KNOWLEDGE_REVIEW_NOTICE_DAYS), time.min)
    return timezone.make_aware(start, timezone.get_default_timezone())


def _lock(article: Article, expected_version: int | None = None) -> Article:
    locked = Article.objects.select_for_update(of=("self",)).select_related("knowledge_base").get(pk=article.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current_version=locked.version)
    return locked


def _save(article: Article, *fields: str) -> None:
    article.version = F("version") + 1
    article.save(update_fields=[*fields, "version", "updated_at"])
    article.refresh_from_db(fields=["version"])


# --- Knowledge bases ------------------------------------------------------------------------


@service
def knowledge_base_save(*, actor: User | None, knowledge_base: KnowledgeBase | None = None, name: str,
                        description: str = "", audience: str, publishing: str, organisations=(),
                        active: bool = True) -> KnowledgeBase:
    require_manager(actor)
    if not (name or "").strip():
        raise ValidationError({"name": _("Name the knowledge base.")})
    kb = knowledge_base or KnowledgeBase()
    kb.name, kb.description, kb.audience, kb.publishing, kb.active = name.strip(), description, audience, \
        publishing, active
    kb.full_clean(exclude=["organisations"])
    kb.save()
    kb.organisations.set(organisations)
    return kb


# --- Articles and versions ------------------------------------------------------------------


def _latest_version(article: Article) -> ArticleVersion | None:
    return article.versions.order_by("-number").first()


def is_pending(version: ArticleVersion | None) -> bool:
    """Not published yet: a draft or a version in review."""
    return version is not None and version.state in (VersionState.DRAFT, VersionState.REVIEW)


def pending_version(article: Article) -> ArticleVersion | None:
    """The newest version that is not published yet (a draft or one in review), if any."""
    latest = _latest_version(article)
    return latest if is_pending(latest) else None


def _new_version(article: Article, *, actor: User, title: str, body: str, tags: list[str],
                 note: str) -> ArticleVersion:
    latest = _latest_version(article)
    return ArticleVersion.objects.create(
        article=article, number=(latest.number + 1) if latest else 1, title=title.strip(), body=body,
        tags=tags, note=(note or "")[:300], author=actor)


def _show_text(article: Article, version: ArticleVersion) -> None:
    article.title, article.body, article.tags = version.title, version.body, version.tags
    article.tags_text = " ".join(version.tags)


@service
def article_create(*, actor: User, knowledge_base: KnowledgeBase, title: str, body: str = "", tags=(),
                   language: str = "ko", category=None, owner: User | None = None, cis=(),
                   valid_to: date | None = None, note: str = "", from_ticket: Ticket | None = None) -> Article:
    """A new article in draft, with its first version; attached to ``from_ticket`` when written from one."""
    require_desk(actor)
    tags = clean_tags(tags)
    _check_text(title, body)
    owner = owner or actor
    if not can_work_tickets(owner):
        raise ValidationError({"owner": _("The owner must be a member of the service desk.")})
    if not knowledge_base.active:
        raise ValidationError({"knowledge_base": _("This knowledge base is no longer active.")})
    article = Article(knowledge_base=knowledge_base, language=language, category=category, owner=owner,
                      valid_to=valid_to, title=title.strip(), body=body)
    article.tags = tags
    article.tags_text = " ".join(tags)
    article.full_clean(exclude=["current_version"])
    article.save()
    article.cis.set(cis)
    _new_version(article, actor=actor, title=title, body=body, tags=tags, note=note or _("First version"))
    if from_ticket is not None:
        TicketArticle.objects.get_or_create(ticket=from_ticket, article=article, defaults={"linked_by": actor})
    return article


METADATA = ("knowledge_base", "language", "category", "owner", "valid_to")


@service
def article_edit(*, actor: User, article: Article, expected_version: int | None = None, title: str | None = None,
                 body: str | None = None, tags=None, note: str = "", cis=None, **metadata) -> Article:
    """Edit an article. A change of title, body or tags is a new version; readers keep the current one
    until it is published. Refused while a version is in review (send it back first) and once retired."""
    require_desk(actor)
    unknown = set(metadata) - set(METADATA)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    article = _lock(article, expected_version)
    if article.state == ArticleState.RETIRED:
        raise ArticleConflict(_("A retired article cannot be edited."), code="article_retired")
    latest = _latest_version(article)
    title = latest.title if title is None else title
    body = latest.body if body is None else body
    tags = latest.tags if tags is None else clean_tags(tags)
    _check_text(title, body)
    changed_text = (title.strip(), body, tags) != (latest.title, latest.body, latest.tags)
    if changed_text and latest.state == VersionState.REVIEW:
        raise ArticleConflict(_("This version is in review. Send it back to draft before editing."),
                              code="article_in_review")
    fields = []
    for name, value in metadata.items():
        if name == "owner" and value is not None and not can_work_tickets(value):
            raise ValidationError({"owner": _("The owner must be a member of the service desk.")})
        if name == "knowledge_base" and not value.active:
            raise ValidationError({"knowledge_base": _("This knowledge base is no longer active.")})
        if getattr(article, name) != value:
            setattr(article, name, value)
            fields.append(name)
    if "valid_to" in fields and article.state == ArticleState.PUBLISHED:
        article.review_due_at = review_due_at(article.valid_to)
        fields.append("review_due_at")
    if changed_text:
        version = _new_version(article, actor=actor, title=title, body=body, tags=tags, note=note)
        if article.current_version_id is None:  # never published: the row shows the working text
            _show_text(article, version)
            fields += ["title", "body", "tags", "tags_text"]
    if cis is not None:
        before = set(article.cis.values_list("pk", flat=True))
        if before != {ci.pk for ci in cis}:
            article.cis.set(cis)
            fields.append("cis")
    if fields or changed_text:
        _save(article, *[f for f in fields if f != "cis"])
    return article


def _is_author(actor: User | None, version: ArticleVersion) -> bool:
    return actor is not None and version.author_id == actor.pk


def article_actions(article: Article, actor: User | None) -> list:
    """The moves ``actor`` may take on ``article`` now (pages and the API offer only these)."""
    allowed = []
    pending = pending_version(article)
    approval = article.knowledge_base.publishing == PublishingPolicy.APPROVAL
    manager = actor is not None and can_manage_knowledge(actor)
    for action in ACTIONS_BY_NAME.values():
        if article.state not in action.sources or actor is None or not can_work_tickets(actor):
            continue
        if action.name == "submit" and (pending is None or pending.state != VersionState.DRAFT):
            continue
        if action.name == "publish" and (approval or pending is None):
            continue
        if action.name == "send_back" and (pending is None or pending.state != VersionState.REVIEW
                                           or not (manager or _is_author(actor, pending) or not approval)):
            continue
        if action.name == "retire" and not (manager or article.owner_id == actor.pk):
            continue
        allowed.append(action)
    return allowed


@service
def article_transition(*, actor: User, article: Article, action: str, expected_version: int | None = None,
                       comment: str = "") -> Article:
    """Submit, publish, send back or retire ``article`` (docs/knowledge.md, "Lifecycle")."""
    require_desk(actor)
    if action not in ACTIONS_BY_NAME:
        raise ValidationError({"action": _("Unknown action.")})
    article = _lock(article, expected_version)
    allowed = [a.name for a in article_actions(article, actor)]
    if action not in allowed:
        raise ArticleConflict(_("This move is not possible for %(article)s now.") % {"article": article.number},
                              code="transition_not_allowed", extra={"allowed": allowed})
    pending = pending_version(article)
    if action == "submit":
        _submit(article, pending, actor)
    elif action == "publish":
        _publish(article, pending, actor)
    elif action == "send_back":
        _send_back(article, pending, actor, reason=comment)
    elif action == "retire":
        article.state = ArticleState.RETIRED
        article.retired_at = timezone.now()
        article.review_due_at = None
        _save(article, "state", "retired_at", "review_due_at")
    return article


def _submit(article: Article, version: ArticleVersion, actor: User) -> None:
    version.state = VersionState.REVIEW
    version.save(update_fields=["state"])
    if article.state == ArticleState.DRAFT:
        article.state = ArticleState.REVIEW
    _save(article, "state")
    if article.knowledge_base.publishing == PublishingPolicy.APPROVAL:
        ticket = _open_task(article, TaskType.PUBLICATION, actor=actor, version=version,
                            title=_("Approve version %(version)s of %(article)s") % {
                                "version": version.number, "article": article.title},
                            description=version.note)
        approvals.approval_request(actor=actor, ticket=ticket, steps=[approvals.StepSpec(
            name=_("Knowledge manager"), policy=ApprovalPolicy.ANY, roles=(MANAGE_KNOWLEDGE,))],
            context={"article": article.pk, "version": version.number})


def _publish(article: Article, version: ArticleVersion, actor: User | None) -> None:
    """Make ``version`` current and the previous current outdated, on the locked article row."""
    now = timezone.now()
    ArticleVersion.objects.filter(article=article, state=VersionState.CURRENT).update(state=VersionState.OUTDATED)
    ArticleVersion.objects.filter(article=article, number__lt=version.number,
                                  state__in=(VersionState.DRAFT, VersionState.REVIEW)).update(
        state=VersionState.OUTDATED)
    version.state, version.published_at, version.published_by = VersionState.CURRENT, now, actor
    version.save(update_fields=["state", "published_at", "published_by"])
    _show_text(article, version)
    article.current_version = version
    article.state = ArticleState.PUBLISHED
    article.published_at = article.published_at or now
    if article.valid_to is None or article.valid_to <= timezone.localdate():
        article.valid_to = default_valid_to()
    article.review_due_at = review_due_at(article.valid_to)
    _save(article, "title", "body", "tags", "tags_text", "current_version", "state", "published_at", "valid_to",
          "review_due_at")


def _send_back(article: Article, version: ArticleVersion, actor: User | None, *, reason: str = "") -> None:
    version.state = VersionState.DRAFT
    version.save(update_fields=["state"])
    if article.state == ArticleState.REVIEW:
        article.state = ArticleState.DRAFT
    _save(article, "state")
    for task in _open_tasks(article, TaskType.PUBLICATION):
        approvals.approval_cancel(actor=actor, ticket=task.ticket, reason=reason)
        _close_task(task.ticket, TaskState.CANCELLED, note_code="kb_task_obsolete",
                    note_params={"reason": _("sent back to draft")})


# --- Knowledge tasks (KBT tickets) ----------------------------------------------------------


def _owner_team(owner: User) -> Team | None:
    return Team.objects.filter(members=owner, active=True).order_by("name").first()


def _open_tasks(article: Article, task_type: str):
    return (KnowledgeTask.objects.select_related("ticket")
            .filter(article=article, task_type=task_type, ticket__active=True))


def _open_task(article: Article, task_type: str, *, actor: User | None, title: str, description: str = "",
               version: ArticleVersion | None = None, feedback: Feedback | None = None,
               priority: int = Priority.LOW) -> Ticket:
    owner = article.owner
    team = _owner_team(owner)
    ticket = desk.ticket_create(kind=TicketKind.KNOWLEDGE_TASK, workflow=TASK_WORKFLOW, actor=actor,
                                requester=owner, title=title[:200], description=description, priority=priority,
                                team=team, assignee=owner if team is not None else None)
    KnowledgeTask.objects.create(ticket=ticket, task_type=task_type, article=article, version=version,
                                 feedback=feedback)
    if task_type != TaskType.PUBLICATION:
        notify(ticket=ticket, recipients=[owner], reason="knowledge_task",
               context={"article_title": article.title})
    return ticket


def _close_task(ticket: Ticket, target: str, *, note_code: str = "", note_params: dict | None = None) -> None:
    ticket = desk.ticket_lock(ticket=ticket, expected_version=None)
    if not ticket.active:
        return
    desk.ticket_change_state(ticket=ticket, workflow=TASK_WORKFLOW, target=target, actor=None, roles=SYSTEM,
                             note_code=note_code, note_params=note_params)


def task_moves(ticket: Ticket, task: KnowledgeTask) -> list:
    """The moves an agent may take on a knowledge task: a publication review is decided by its
    approval (never marked done by hand), and a closed one takes no more moves."""
    if task.task_type != TaskType.PUBLICATION:
        return TASK_WORKFLOW.transitions_from(ticket.state, {"agent"})
    if not ticket.active:
        return []
    return [t for t in TASK_WORKFLOW.transitions_from(ticket.state, {"agent"}) if t.target != TaskState.DONE]


@service
def task_transition(*, actor: User, ticket: Ticket, target: str, expected_version: int | None = None,
                    note: str = "") -> Ticket:
    """An agent closes a review or feedback task (a publication review is closed by its approval)."""
    require_desk(actor)
    ticket = desk.ticket_lock(ticket=ticket, expected_version=expected_version)
    task = KnowledgeTask.objects.get(pk=ticket.pk)
    if task.task_type == TaskType.PUBLICATION and (target == TaskState.DONE or not ticket.active):
        raise ArticleConflict(_("A publication review is done when its approval is decided."),
                              code="decided_by_approval")
    if task.task_type == TaskType.PUBLICATION:
        approvals.approval_cancel(actor=actor, ticket=ticket, reason=note)
    desk.ticket_change_state(ticket=ticket, workflow=TASK_WORKFLOW, target=target, actor=actor, note=note)
    if task.task_type == TaskType.PUBLICATION and task.version_id:
        article = _lock(task.article)
        version = ArticleVersion.objects.get(pk=task.version_id)
        if version.state == VersionState.REVIEW:
            version.state = VersionState.DRAFT
            version.save(update_fields=["state"])
            if article.state == ArticleState.REVIEW:
                article.state = ArticleState.DRAFT
            _save(article, "state")
    return ticket


def approval_excluded(ticket: Ticket) -> set[int]:
    """Segregation of duties: the author of the version under review does not approve it."""
    task = KnowledgeTask.objects.filter(pk=ticket.pk).select_related("version").first()
    if task is None or task.version is None:
        return set()
    return {task.version.author_id}


def approval_decided(ticket: Ticket, outcome: str, actor: User | None) -> None:
    """Publish the reviewed version (approved) or send it back to draft (rejected), in the vote's transaction."""
    task = KnowledgeTask.objects.select_related("version").get(pk=ticket.pk)
    article = _lock(task.article)
    version = task.version
    params = {"version": version.number if version else "", "article": article.title}
    if version is not None and version.state == VersionState.REVIEW:
        if outcome == "approved":
            _publish(article, version, actor)
        else:
            version.state = VersionState.DRAFT
            version.save(update_fields=["state"])
            if article.state == ArticleState.REVIEW:
                article.state = ArticleState.DRAFT
            _save(article, "state")
    _close_task(ticket, TaskState.DONE, note_code="kb_published" if outcome == "approved" else "kb_sent_back",
                note_params=params)


@service
def review_tasks_open(*, actor: User | None = None, now: datetime | None = None, limit: int = 200) -> int:
    """The beat scan (rule 5): open the owner's review task for articles whose review falls due.

    Claims due rows with ``FOR UPDATE SKIP LOCKED`` and clears their mark, so two workers never open
    two tasks and a crash leaves the mark for the next run.
    """
    now = now or timezone.now()
    due = list(Article.objects.select_for_update(skip_locked=True, of=("self",))
               .filter(review_due_at__lte=now, review_due_at__isnull=False)
               .select_related("owner", "knowledge_base").order_by("review_due_at")[:limit])
    for article in due:
        article.review_due_at = None
        article.save(update_fields=["review_due_at"])
        if article.state != ArticleState.PUBLISHED or _open_tasks(article, TaskType.REVIEW).exists():
            continue
        _open_task(article, TaskType.REVIEW, actor=actor,
                   title=_("Review %(article)s before it expires on %(date)s") % {
                       "article": article.title, "date": article.valid_to.isoformat()},
                   description=_("Check that the article is still right, then extend its valid-to date "
                                 "or retire it."))
    return len(due)


# --- Feedback and views ---------------------------------------------------------------------


@service
def feedback_add(*, actor: User, article: Article, helpful: bool | None = None, rating: int | None = None,
                 flagged: bool = False, comment: str = "") -> Feedback:
    """A reader's feedback; a "no", a low rating or a flag opens a feedback task for the owner (or adds
    to the one still open)."""
    comment = (comment or "").strip()
    if helpful is None and rating is None and not flagged:
        raise ValidationError({"helpful": _("Tell us whether the article helped, rate it or flag it.")})
    if rating is not None and not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Rate from 1 to 5.")})
    if flagged and not comment:
        raise ValidationError({"comment": _("Tell us what is wrong with the article.")})
    if len(comment) > 2000 or "\x00" in comment:
        raise ValidationError({"comment": _("Keep the comment under 2,000 characters.")})
    feedback = Feedback.objects.create(article=article, version_id=article.current_version_id, user=actor,
                                       helpful=helpful, rating=rating, flagged=flagged, comment=comment)
    counters = {}
    if helpful is not None:
        name = "helpful_count" if helpful else "unhelpful_count"
        counters[name] = F(name) + 1
    if rating is not None:
        counters.update(rating_total=F("rating_total") + rating, rating_count=F("rating_count") + 1)
    if flagged:
        counters["flag_count"] = F("flag_count") + 1
    Article.objects.filter(pk=article.pk).update(**counters)
    if helpful is False or (rating is not None and rating <= LOW_RATING) or flagged:
        _feedback_task(article, feedback, actor)
    return feedback


def feedback_summary(feedback: Feedback) -> str:
    parts = []
    if feedback.flagged:
        parts.append(_("flagged"))
    if feedback.helpful is False:
        parts.append(_("not helpful"))
    if feedback.rating is not None:
        parts.append(_("rated %(n)s of 5") % {"n": feedback.rating})
    text = ", ".join(parts)
    return f"{text}: {feedback.comment}" if feedback.comment else text


def _feedback_task(article: Article, feedback: Feedback, actor: User) -> None:
    article = Article.objects.select_related("owner").get(pk=article.pk)
    summary = feedback_summary(feedback)
    open_task = _open_tasks(article, TaskType.FEEDBACK).first()
    if open_task is not None:
        ticket = desk.ticket_lock(ticket=open_task.ticket, expected_version=None)
        desk.timeline_record(ticket=ticket, actor=None, kind=EventKind.FIELDS, changes={},
                             note_code="kb_feedback_again", note_params={"article": article.title,
                                                                          "summary": summary})
        desk.touch(ticket)
        return
    _open_task(article, TaskType.FEEDBACK, actor=actor, feedback=feedback,
               priority=Priority.MODERATE if feedback.flagged else Priority.LOW,
               title=_("Feedback on %(article)s") % {"article": article.title},
               description=summary)


def article_viewed(*, article: Article) -> None:
    """Count a read. Not a business change: no version bump, no audit context of its own."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


# --- Articles and incidents -----------------------------------------------------------------


@service
def ticket_article_attach(*, actor: User, ticket: Ticket, article: Article, resolved: bool = False) -> TicketArticle:
    """Attach ``article`` to a ticket; ``resolved`` counts it as the article that resolved the ticket."""
    require_desk(actor)
    link, created = TicketArticle.objects.select_for_update().get_or_create(
        ticket=ticket, article=article, defaults={"linked_by": actor, "resolved": resolved})
    if not created and link.resolved != resolved:
        link.resolved = resolved
        link.save(update_fields=["resolved"])
    elif not created or not resolved:
        return link
    Article.objects.filter(pk=article.pk).update(resolved_count=F("resolved_count") + (1 if resolved else -1))
    return link


@service
def ticket_article_detach(*, actor: User, ticket: Ticket, article: Article) -> None:
    require_desk(actor)
    link = TicketArticle.objects.select_for_update().filter(ticket=ticket, article=article).first()
    if link is None:
        return
    if link.resolved:
        Article.objects.filter(pk=article.pk).update(resolved_count=F("resolved_count") - 1)
    link.delete()


# --- Deflection -----------------------------------------------------------------------------

# Searches this close together belong to one attempt to describe a problem.
SESSION_IDLE = timedelta(minutes=30)
# A ticket this soon after a read means the articles did not answer (docs/knowledge.md, "Deflection").
DEFLECTION_WINDOW = timedelta(hours=24)


def _open_session(user: User, now: datetime) -> DeflectionSession | None:
    return (DeflectionSession.objects.select_for_update()
            .filter(user=user, ticket__isnull=True, last_search_at__gte=now - SESSION_IDLE)
            .order_by("-last_search_at").first())


@service
def deflection_search(*, actor: User, text: str, source: str = "report") -> DeflectionSession | None:
    """Record what a requester typed; one session per attempt, keeping the latest text."""
    text = " ".join((text or "").split())[:200]
    if not text or actor is None or not actor.is_authenticated:
        return None
    now = timezone.now()
    session = _open_session(actor, now)
    if session is None:
        return DeflectionSession.objects.create(user=actor, source=source[:20], query=text, started_at=now,
                                                last_search_at=now)
    session.query, session.searches, session.last_search_at = text, session.searches + 1, now
    session.save(update_fields=["query", "searches", "last_search_at"])
    return session


@service
def deflection_read(*, actor: User, source: str, ident: str, title: str) -> DeflectionRead | None:
    """Record that a suggestion was opened from the requester's current search (none: nothing)."""
    now = timezone.now()
    session = _open_session(actor, now)
    if session is None:
        return None
    read, created = DeflectionRead.objects.get_or_create(
        session=session, source=source[:20], ident=str(ident)[:40],
        defaults={"title": (title or "")[:200], "read_at": now})
    if session.first_read_at is None:
        session.first_read_at = now
    session.last_search_at = now  # reading keeps the attempt open
    session.save(update_fields=["first_read_at", "last_search_at"])
    return read


@service
def deflection_link_ticket(*, actor: User | None, ticket: Ticket) -> int:
    """Store the searches and reads of the last day on the ticket the requester then opened."""
    since = ticket.opened_at - DEFLECTION_WINDOW
    return (DeflectionSession.objects
            .filter(user_id=ticket.requester_id, ticket__isnull=True, last_search_at__gte=since,
                    started_at__lte=ticket.opened_at)
            .update(ticket=ticket))

"""Knowledge bases, articles and their versions, feedback, links to incidents and deflection records.

Every write is in services.py. The article row carries the text readers see (the current published
version, or the working draft until the first publication) so that search reads one row and one
GIN index: ``knowledge_article.search_document`` is a stored generated column (migration 0001),
deliberately not a model field, computed by the same SQL function as the ticket search.
"""

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from esm.models import TimestampedModel, VersionedModel
from servicedesk.models import Category, Ticket

from .choices import ArticleState, Audience, Language, PublishingPolicy, TaskType, VersionState


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class KnowledgeBase(TimestampedModel):
    """Who reads its articles (requesters or staff, optionally some organisations) and how they are published."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.PUBLIC)
    publishing = models.CharField(_("publishing policy"), max_length=10, choices=PublishingPolicy.choices,
                                  default=PublishingPolicy.INSTANT)
    # Empty: every requester reads the public articles; otherwise members of these organisations only.
    organisations = models.ManyToManyField("accounts.Organisation", verbose_name=_("restricted to organisations"),
                                           blank=True, related_name="knowledge_bases")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("knowledge base")
        verbose_name_plural = _("knowledge bases")
        permissions = [("manage_knowledge", "Can manage knowledge bases and publish articles")]

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Article(VersionedModel, TimestampedModel):
    # No index: a base holds a large share of the articles, so it is never selective, and with it
    # PostgreSQL chose it over the search index and tested thousands of documents (bench/README.md).
    knowledge_base = models.ForeignKey(KnowledgeBase, verbose_name=_("knowledge base"), on_delete=models.PROTECT,
                                       related_name="articles", db_index=False)
    state = models.CharField(_("state"), max_length=10, choices=ArticleState.choices, default=ArticleState.DRAFT)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    tags = ArrayField(models.CharField(max_length=40), verbose_name=_("tags"), default=list, blank=True)
    # The tags as one text for the search document (a generated column cannot read an array).
    tags_text = models.CharField(max_length=1000, blank=True, editable=False)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.KOREAN)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="owned_articles")
    cis = models.ManyToManyField(ConfigurationItem, verbose_name=_("configuration items and services"),
                                 blank=True, related_name="articles")
    current_version = models.OneToOneField("ArticleVersion", verbose_name=_("current version"), null=True,
                                           blank=True, on_delete=models.SET_NULL, related_name="+")
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    # When the beat opens the owner's review task (rule 5): valid_to minus the review notice; cleared once opened.
    review_due_at = models.DateTimeField(_("review due"), null=True, blank=True)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0)
    unhelpful_count = models.PositiveIntegerField(_("not helpful"), default=0)
    rating_total = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(_("ratings"), default=0)
    flag_count = models.PositiveIntegerField(_("flags"), default=0)
    resolved_count = models.PositiveIntegerField(_("incidents resolved"), default=0)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            models.Index(fields=["review_due_at"], condition=Q(review_due_at__isnull=False),
                         name="article_review_due_idx"),
            models.Index(fields=["-updated_at", "-id"], name="article_updated_idx"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"KB{self.pk:07d}" if self.pk else "KB"

    @property
    def rating(self) -> float | None:
        return round(self.rating_total / self.rating_count, 1) if self.rating_count else None


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ArticleVersion(models.Model):
    """One edit of an article. Exactly one version of an article is current at most (partial unique index)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    state = models.CharField(_("state"), max_length=10, choices=VersionState.choices, default=VersionState.DRAFT)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    tags = ArrayField(models.CharField(max_length=40), verbose_name=_("tags"), default=list, blank=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT,
                               related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_unique_number"),
            models.UniqueConstraint(fields=["article"], condition=Q(state=VersionState.CURRENT),
                                    name="article_one_current_version"),
        ]

    def __str__(self):
        return f"{self.article_id} v{self.number}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Feedback(models.Model):
    """A reader's answer: helpful or not (with a comment), a 1–5 rating, or a flag."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    version = models.ForeignKey(ArticleVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("from"), on_delete=models.PROTECT,
                             related_name="+")
    helpful = models.BooleanField(_("helpful"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    flagged = models.BooleanField(_("flagged"), default=False)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("given"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="feedback_rating_1_to_5"),
        ]
        indexes = [models.Index(fields=["article", "-created_at", "-id"], name="feedback_article_idx")]

    def __str__(self):
        return f"{self.article_id} feedback {self.pk}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class KnowledgeTask(models.Model):
    """A knowledge task ticket (KBT): a review before expiry, feedback to answer, or a publication review."""

    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="knowledge_task")
    task_type = models.CharField(_("task"), max_length=12, choices=TaskType.choices)
    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="tasks")
    version = models.ForeignKey(ArticleVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    feedback = models.ForeignKey(Feedback, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("knowledge task")
        verbose_name_plural = _("knowledge tasks")

    def __str__(self):
        return f"{self.ticket_id} {self.task_type}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class TicketArticle(models.Model):
    """An article attached to a ticket (an incident); ``resolved`` says the article resolved it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="knowledge_links")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="ticket_links")
    resolved = models.BooleanField(_("resolved by this article"), default=False)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "article"], name="ticket_article_unique")]

    def __str__(self):
        return f"{self.ticket_id} → {self.article_id}"


class DeflectionSession(models.Model):
    """What one requester searched for while describing a problem, and what they read.

    Linked to the ticket they open within a day (``ticket``); a session with a read and no ticket a
    day later counts as a deflection (queries.deflection_counts).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, default="report")  # which form: "report", "catalog"
    query = models.CharField(_("search text"), max_length=200)
    searches = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField()
    last_search_at = models.DateTimeField()
    first_read_at = models.DateTimeField(null=True, blank=True)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="deflections")

    class Meta:
        indexes = [
            models.Index(fields=["user", "-last_search_at"], name="deflection_user_idx"),
            models.Index(fields=["first_read_at"], condition=Q(first_read_at__isnull=False, ticket__isnull=True),
                         name="deflection_read_idx"),
        ]

    def __str__(self):
        return self.query


class DeflectionRead(models.Model):
    session = models.ForeignKey(DeflectionSession, on_delete=models.CASCADE, related_name="reads")
    source = models.CharField(max_length=20, default="article")  # the suggestion source
    ident = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    read_at = models.DateTimeField()

    class Meta:
        ordering = ["read_at", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "source", "ident"], name="deflection_read_once")]

    def __str__(self):
        return f"{self.source}:{self.ident}"

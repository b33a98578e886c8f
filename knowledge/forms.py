"""Page forms of the knowledge app: the console editor and the portal feedback form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import WORK_TICKETS
from cmdb.models import ConfigurationItem
from esm.fields import SingleLineFormField
from esm.forms import ServiceErrorsMixin

# The console's compact form base (Bootstrap classes, fast widgets), as the change pages use it.
from incidents.forms.desk import DeskForm
from servicedesk.models import Category
from servicedesk.rendering import MAX_BODY_CHARS

from .choices import Language
from .models import KnowledgeBase


def desk_people():
    return (User.objects.filter(is_active=True, groups__permissions__codename=WORK_TICKETS.split(".")[1])
            .distinct().order_by("first_name", "last_name", "id"))


class ArticleForm(DeskForm):
    knowledge_base = forms.ModelChoiceField(KnowledgeBase.objects.filter(active=True), label=_("Knowledge base"))
    title = SingleLineFormField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Article (Markdown)"), widget=forms.Textarea(attrs={"rows": 18}),
                           max_length=MAX_BODY_CHARS, required=False)
    tags = SingleLineFormField(label=_("Tags"), max_length=800, required=False,
                               help_text=_("Separate tags with commas."))
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    category = forms.ModelChoiceField(Category.objects.filter(active=True).select_related("parent"),
                                      label=_("Category"), required=False)
    owner = forms.ModelChoiceField(desk_people(), label=_("Owner"), empty_label=None)
    services = forms.ModelMultipleChoiceField(ConfigurationItem.objects.services().order_by("name"),
                                              label=_("Services"), required=False)
    valid_to = forms.DateField(label=_("Valid to"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}),
                               help_text=_("Empty: twelve months after publishing."))
    note = SingleLineFormField(label=_("What changed"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = desk_people()
        self.fields["services"].empty_label = None  # a multiple choice has no "none" option


class FeedbackForm(ServiceErrorsMixin, forms.Form):
    helpful = forms.TypedChoiceField(label=_("Did this answer your question?"), required=False,
                                     choices=[("yes", _("Yes")), ("no", _("No"))],
                                     coerce=lambda v: v == "yes", empty_value=None, widget=forms.RadioSelect)
    rating = forms.TypedChoiceField(label=_("How good is this article?"), required=False,
                                    choices=[(str(n), str(n)) for n in range(1, 6)], coerce=int, empty_value=None,
                                    widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Anything to add?"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    flagged = forms.BooleanField(label=_("Something in this article is wrong or out of date"), required=False)
    service_error_names_unknown = False


class AttachArticleForm(forms.Form):
    article = forms.CharField(label=_("Article number"), max_length=20)
    resolved = forms.BooleanField(label=_("Resolved by this article"), required=False)

"""Console pages for changes, included by the root URLconf at ``desk/changes/`` as "desk-changes"."""

from django.urls import path

from .views import create, desk, lists, manage

app_name = "desk-changes"
urlpatterns = [
    path("", lists.change_list, name="list"),
    path("new/", create.change_create, name="create"),
    path("new/standard/", create.template_picker, name="templates"),
    path("calendar/", lists.calendar, name="calendar"),
    path("calendar/subscribe/", lists.calendar_subscribe, name="calendar_subscribe"),
    path("cab/", lists.cab_agenda, name="cab"),
    path("metrics/", lists.metrics, name="metrics"),
    path("manage/templates/", manage.template_list, name="template_list"),
    path("manage/templates/new/", manage.template_edit, name="template_create"),
    path("manage/templates/<int:pk>/", manage.template_edit, name="template_edit"),
    path("manage/templates/<int:pk>/withdraw/", manage.template_withdraw, name="template_withdraw"),
    path("manage/freezes/", manage.freeze_list, name="freeze_list"),
    path("manage/freezes/new/", manage.freeze_edit, name="freeze_create"),
    path("manage/freezes/<int:pk>/", manage.freeze_edit, name="freeze_edit"),
    path("manage/freezes/<int:pk>/delete/", manage.freeze_delete, name="freeze_delete"),
    path("manage/cab/", manage.cab_list, name="cab_rules"),
    path("manage/cab/rules/new/", manage.cab_rule_edit, name="cab_rule_create"),
    path("manage/cab/rules/<int:pk>/", manage.cab_rule_edit, name="cab_rule_edit"),
    path("manage/cab/rules/<int:pk>/delete/", manage.cab_rule_delete, name="cab_rule_delete"),
    path("manage/cab/groups/new/", manage.group_edit, name="group_create"),
    path("manage/cab/groups/<int:pk>/", manage.group_edit, name="group_edit"),
    path("<str:number>/", desk.change_detail, name="detail"),
    path("<str:number>/timeline/", desk.change_timeline, name="timeline"),
    path("<str:number>/edit/", desk.change_edit, name="edit"),
    path("<str:number>/transition/", desk.change_transition, name="transition"),
    path("<str:number>/confirm/<slug:target>/", desk.change_confirm_transition, name="confirm"),
    path("<str:number>/risk/", desk.change_risk, name="risk"),
    path("<str:number>/links/add/", desk.change_link, name="link"),
    path("<str:number>/links/remove/", desk.change_unlink, name="unlink"),
    path("<str:number>/cis/search/", desk.ci_search, name="ci_search"),
    path("<str:number>/cis/link/", desk.ci_link, name="ci_link"),
    path("<str:number>/cis/unlink/", desk.ci_unlink, name="ci_unlink"),
]

"""Console pages of the catalog editor (namespace ``desk-catalog``, under /desk/catalog/)."""

from django.urls import path

from .views import editor

app_name = "desk-catalog"
urlpatterns = [
    path("", editor.catalog_home, name="home"),
    path("categories/new/", editor.category_edit, name="category_create"),
    path("categories/<int:pk>/", editor.category_edit, name="category_edit"),
    path("items/new/", editor.item_edit, name="item_create"),
    path("items/<int:pk>/", editor.item_edit, name="item_edit"),
    path("items/<int:pk>/state/", editor.item_state, name="item_state"),
    path("items/<int:pk>/form/", editor.form_edit, name="form_edit"),
    path("items/<int:pk>/form/draft/", editor.form_draft, name="form_draft"),
    path("items/<int:pk>/form/publish/", editor.form_publish, name="form_publish"),
    path("items/<int:pk>/form/discard/", editor.form_discard, name="form_discard"),
    path("items/<int:pk>/form/preview/", editor.form_preview, name="form_preview"),
    path("items/<int:pk>/form/questions/new/", editor.question_edit, name="question_create"),
    path("items/<int:pk>/form/questions/<int:question_pk>/", editor.question_edit, name="question_edit"),
    path("items/<int:pk>/form/questions/<int:question_pk>/delete/", editor.question_delete, name="question_delete"),
    path("items/<int:pk>/form/questions/<int:question_pk>/move/", editor.question_move, name="question_move"),
    path("items/<int:pk>/fulfilment/", editor.fulfilment, name="fulfilment"),
    path("items/<int:pk>/tasks/new/", editor.task_edit, name="task_create"),
    path("items/<int:pk>/tasks/<int:template_pk>/", editor.task_edit, name="task_edit"),
    path("items/<int:pk>/tasks/<int:template_pk>/delete/", editor.task_delete, name="task_delete"),
    path("items/<int:pk>/approvals/new/", editor.rule_edit, name="rule_create"),
    path("items/<int:pk>/approvals/<int:rule_pk>/", editor.rule_edit, name="rule_edit"),
    path("items/<int:pk>/approvals/<int:rule_pk>/delete/", editor.rule_delete, name="rule_delete"),
]

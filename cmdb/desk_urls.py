"""Console pages of the CMDB, included by the root URLconf at ``desk/cmdb/`` as "desk-cmdb"."""

from django.urls import path

from . import import_views, views

app_name = "desk-cmdb"
urlpatterns = [
    path("", views.ci_list, name="list"),
    path("new/", views.ci_create, name="create"),
    path("stale/", views.stale_list, name="stale"),
    path("import/", import_views.import_page, name="import"),
    path("lookup/", views.ci_lookup, name="lookup"),
    path("attribute-fields/", views.attribute_fields, name="attribute_fields"),
    path("<int:pk>/", views.ci_detail, name="detail"),
    path("<int:pk>/edit/", views.ci_edit, name="edit"),
    path("<int:pk>/relate/", views.ci_relate, name="relate"),
    path("<int:pk>/relationships/<int:rel_pk>/delete/", views.relationship_delete, name="relationship_delete"),
    path("<int:pk>/clear-stale/", views.clear_stale, name="clear_stale"),
    path("<int:pk>/redundancy/", views.redundancy_create, name="redundancy_create"),
    path("<int:pk>/redundancy/<int:group_pk>/delete/", views.redundancy_delete, name="redundancy_delete"),
]

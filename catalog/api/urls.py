"""API routes of the catalog (categories, items with their current form, and the catalog managers'
questions, task templates and approval rules), joined by esm/api_urls.py."""

from .views import ApprovalRuleViewSet, CategoryViewSet, ItemViewSet, QuestionViewSet, TaskTemplateViewSet

routes = [
    ("catalog/categories", CategoryViewSet, "catalog-category"),
    ("catalog/items", ItemViewSet, "catalog-item"),
    ("catalog/questions", QuestionViewSet, "catalog-question"),
    ("catalog/task-templates", TaskTemplateViewSet, "catalog-task-template"),
    ("catalog/approval-rules", ApprovalRuleViewSet, "catalog-approval-rule"),
]
urlpatterns = []

"""Console pages of the surveys app (namespace ``desk-surveys``, under /desk/surveys/)."""

urlpatterns = []

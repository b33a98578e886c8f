"""Console pages of the problems app (namespace ``desk-problems``, under /desk/problems/)."""

urlpatterns = []

"""Portal pages of the knowledge app (joined into ``portal``)."""

urlpatterns = []

"""Portal pages of the surveys app (joined into ``portal``)."""

urlpatterns = []

"""Portal pages of the problems app (joined into ``portal``)."""

urlpatterns = []

app_name = "calendars"
urlpatterns: list = []

"""Routes of the connectors app (included at /connectors/ by the project's urls)."""

from django.urls import path

from calmdesk.connectors import views

app_name = "connectors"
urlpatterns = [
    path("<str:product>/<str:token>/", views.receive, name="receive"),
]

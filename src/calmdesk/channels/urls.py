"""Routes of the channels app (included at /channels/ by the project's urls)."""

from django.urls import path

from calmdesk.channels import views

app_name = "channels"
urlpatterns = [
    path("inbound/<str:token>/", views.inbound, name="inbound"),
]

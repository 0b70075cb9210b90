"""URLs of the report pages (mounted at /reports/)."""

from django.urls import path

from calmdesk.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("subscription/", views.subscription, name="subscription"),
    path("<slug:slug>.csv", views.report_csv, name="csv"),
    path("<slug:slug>.pdf", views.report_pdf, name="pdf"),
    path("<slug:slug>/", views.report, name="report"),
]

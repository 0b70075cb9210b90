"""Training pages, included by the project at "training/"."""

from django.urls import path

from calmdesk.training import views

app_name = "training"

urlpatterns = [
    path("", views.scenario_list, name="scenarios"),
    path("start/", views.start, name="start"),
    path("sessions/<int:session_id>/", views.practice, name="practice"),
    path("sessions/<int:session_id>/turn/", views.turn, name="turn"),
    path("sessions/<int:session_id>/end/", views.end, name="end"),
    path("sessions/<int:session_id>/report/", views.report, name="report"),
    path("sessions/<int:session_id>/comment/", views.comment, name="comment"),
    path("sessions/<int:session_id>/override/", views.override, name="override"),
    path("history/", views.history, name="history"),
    path("progress/", views.progress, name="progress"),
    path("mentor/", views.mentor, name="mentor"),
    path("mentor/assign/", views.assign, name="assign"),
    path("drafts/", views.drafts, name="drafts"),
    path("drafts/<int:draft_id>/", views.draft, name="draft"),
    path("drafts/<int:draft_id>/publish/", views.publish, name="publish"),
    path("cases/<int:case_id>/scenario/", views.case_draft, name="case_draft"),
]

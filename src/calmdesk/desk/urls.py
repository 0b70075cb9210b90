"""Desk pages: sign-in, the case list, a case with its timeline, a client, attachments."""

from django.contrib.auth import views as auth_views
from django.urls import path

from calmdesk.desk.views import (
    attachments,
    cases,
    clients,
    composer,
    health,
    inbox,
    principles,
    satisfaction,
    workflow,
)
from calmdesk.desk.views.auth import LoginForm

app_name = "desk"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="desk/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    # Django's LogoutView accepts POST only (a GET cannot sign anyone out).
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", inbox.inbox, name="case_list"),
    path("views/save/", inbox.save_view, name="view_save"),
    path("views/delete/", inbox.delete_view, name="view_delete"),
    path("cases/<int:case_id>/", cases.case_detail, name="case"),
    path("cases/<int:case_id>/timeline/", cases.case_timeline, name="timeline"),
    path("cases/<int:case_id>/coach/", composer.coach, name="coach"),
    path("cases/<int:case_id>/reply/", composer.send_reply, name="reply"),
    path("cases/<int:case_id>/dismiss/", composer.dismiss_finding, name="dismiss_finding"),
    path("cases/<int:case_id>/notes/", cases.case_note, name="note"),
    path("cases/<int:case_id>/expectation/", cases.case_expectation, name="expectation"),
    path("clients/<int:client_id>/", clients.client_detail, name="client"),
    # the workflow (views/workflow.py): promises, crisis record, transfer, backup, summary
    path("cases/<int:case_id>/promises/", workflow.promise_add, name="promise_add"),
    path("promises/<int:followup_id>/close/", workflow.promise_close, name="promise_close"),
    path("cases/<int:case_id>/status/", workflow.case_status, name="status"),
    path("crisis/<int:incident_id>/step/", workflow.crisis_step, name="crisis_step"),
    path("crisis/<int:incident_id>/complete/", workflow.crisis_complete, name="crisis_complete"),
    path("cases/<int:case_id>/transfer/", workflow.case_transfer, name="transfer"),
    path("cases/<int:case_id>/backup/", workflow.case_backup, name="backup"),
    path("cases/<int:case_id>/summary/", workflow.summary_page, name="summary"),
    path("cases/<int:case_id>/summary/send/", workflow.summary_send, name="summary_send"),
    path("cases/<int:case_id>/break/", workflow.take_break, name="take_break"),
    path("wellbeing/<int:checkin_id>/", workflow.checkin_answer, name="checkin"),
    path("queue/", workflow.supervisor_queue, name="queue"),
    path("requests/<int:request_id>/decide/", workflow.decide, name="decide"),
    path("notifications/", workflow.notifications, name="notifications"),
    path("notifications/read/", workflow.notifications_read, name="notification_read"),
    path("rate/<str:token>/", satisfaction.rate, name="satisfaction"),
    # the principle pages coach findings link to (public guidance, no sign-in)
    path("docs/principles/", principles.principle_index, name="principles"),
    path("docs/principles/<str:lang>/<str:slug>", principles.principle_page, name="principle"),
    path(
        "attachments/<str:attachment_id>/",
        attachments.attachment_download,
        name="attachment",
    ),
]

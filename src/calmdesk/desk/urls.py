"""Desk pages: sign-in, the case list, a case with its timeline, a client, attachments."""

from django.contrib.auth import views as auth_views
from django.urls import path

from calmdesk.desk.views import attachments, cases, clients
from calmdesk.desk.views.auth import LoginForm

app_name = "desk"

urlpatterns = [
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
    path("", cases.case_list, name="case_list"),
    path("cases/<int:case_id>/", cases.case_detail, name="case"),
    path("clients/<int:client_id>/", clients.client_detail, name="client"),
    path(
        "attachments/<str:attachment_id>/",
        attachments.attachment_download,
        name="attachment",
    ),
]

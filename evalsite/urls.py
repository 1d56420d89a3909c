from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    # pages that are not ours (admin, API docs) and non-browser clients ask for /favicon.ico
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Owners only in production (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"], evalsite/security.py). The split view
    # serves Swagger UI's start-up script as a file, so the Content-Security-Policy needs no inline script.
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # The language switch on rater pages posts under /r/, where the rater session (and its CSRF secret) lives.
    path("r/setlang/", set_language, name="rater-set-language"),
    path("", include("tasks.urls")),
    path("", include("ratings.urls")),
]

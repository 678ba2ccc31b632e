"""/demo/: the demo reading surface (served only with DEBUG or DEMO_ENABLED)."""

from django.urls import path

from demo import views

app_name = "demo"
urlpatterns = [
    path("", views.front, name="front"),
    path("articles/<str:article_id>/", views.article, name="article"),
    path("signup/", views.signup, name="signup"),
    path("trial/", views.trial, name="trial"),
    path("account/", views.account, name="account"),
]

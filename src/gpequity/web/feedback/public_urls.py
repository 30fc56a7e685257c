"""The writer's URL space (mounted at /staff-feedback/, outside sessions: ADR 22)."""

from django.urls import path

from . import public

app_name = "staff_feedback"
urlpatterns = [
    path("what-it-protects/", public.protects, name="protects"),
    path("receipt/", public.receipt, name="receipt"),
    path("receipt/answer/", public.answer, name="answer"),
    path("<str:token>/", public.write, name="write"),
]

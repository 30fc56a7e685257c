"""URLs of the plans area (mounted at orgs/<ods_code>/plan/)."""

from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("mine/", views.plan_mine, name="mine"),
    path("due/", views.plan_due, name="due"),
    path("adopt/", views.plan_choose, name="choose"),
    path("adopt/<str:action_key>/", views.plan_adopt, name="adopt"),
    path("<int:item_id>/", views.plan_item, name="item"),
    path("<int:item_id>/edit/", views.plan_edit, name="edit"),
    path("<int:item_id>/cycles/new/", views.cycle_new, name="cycle_new"),
    path("<int:item_id>/measurements/new/", views.measurement_new, name="measurement_new"),
    path("<int:item_id>/cycles/<int:cycle_id>/edit/", views.cycle_edit, name="cycle_edit"),
    path("<int:item_id>/cycles/<int:cycle_id>/delete/", views.cycle_delete, name="cycle_delete"),
    path(
        "<int:item_id>/measurements/<int:measurement_id>/edit/",
        views.measurement_edit,
        name="measurement_edit",
    ),
    path(
        "<int:item_id>/measurements/<int:measurement_id>/delete/",
        views.measurement_delete,
        name="measurement_delete",
    ),
]

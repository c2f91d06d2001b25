from django.urls import path

from maoyi.web.org import views

urlpatterns = [
    path("departments/", views.department_list, name="department-list"),
    path("departments/new/", views.department_create, name="department-create"),
    path("departments/<int:pk>/", views.department_detail, name="department-detail"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department-edit"),
    path("employees/", views.employee_list, name="employee-list"),
    path("employees/new/", views.employee_create, name="employee-create"),
    path("employees/<int:pk>/", views.employee_detail, name="employee-detail"),
    path("employees/<int:pk>/edit/", views.employee_edit, name="employee-edit"),
    path("employees/<int:pk>/leave/", views.employee_leave, name="employee-leave"),
    path("employees/<int:pk>/password/", views.employee_password, name="employee-password"),
    path("employees/<int:pk>/unlock/", views.employee_unlock, name="employee-unlock"),
    path("roles/", views.role_list, name="role-list"),
    path("roles/new/", views.role_create, name="role-create"),
    path("roles/<int:pk>/edit/", views.role_edit, name="role-edit"),
]

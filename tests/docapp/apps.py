from django.apps import AppConfig


class DocappConfig(AppConfig):
    name = "tests.docapp"
    label = "docapp"
    verbose_name = "测试单据"

from django.apps import AppConfig


class NinthLogConfig(AppConfig):
    name = "tests.ninth_log"
    label = "ninth_log"
    verbose_name = "Voicemail (a log of the test suite)"

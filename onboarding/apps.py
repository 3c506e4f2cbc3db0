from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onboarding"
    label = "onboarding"
    verbose_name = "Onboarding"

    def ready(self) -> None:
        # Imported here, not at the top: subscribers import other apps' models, which the app
        # registry allows only once it is ready.
        from .subscribers import register

        register()

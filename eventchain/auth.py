"""Staff sign in with their email address."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = username or kwargs.get("email")
        if not identifier or password is None:
            return None
        users = get_user_model()._default_manager
        user = users.filter(email__iexact=identifier).order_by("pk").first() or users.filter(
            username=identifier
        ).first()
        if user is None:
            # Spend the same time as a real check so timing does not reveal which emails exist.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

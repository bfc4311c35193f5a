"""Domain errors: raised by services, with a message a person can act on.

The API maps each class to an HTTP status; console views show the message inline.
"""


class DomainError(Exception):
    """A business rule refused the action. `field` names the input at fault, if one is."""

    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, errors: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self._errors = errors

    @property
    def errors(self) -> list[dict]:
        """The API error list: `[{"field": ..., "message": ...}]`."""
        if self._errors:
            return self._errors
        return [{"field": self.field, "message": self.message}]


class ValidationFailed(DomainError):
    """Input is malformed or out of range (422)."""

    http_status = 422

    @classmethod
    def from_list(cls, errors: list[dict]) -> "ValidationFailed":
        summary = "; ".join(
            f"{error['field']}: {error['message']}" if error.get("field") else error["message"] for error in errors
        )
        return cls(summary, errors=errors)


class StateConflict(DomainError):
    """The object is not in a state that allows the action (409)."""

    http_status = 409


class NotFound(DomainError):
    """No such object, or not one the caller may see (404)."""

    http_status = 404


class PermissionRefused(DomainError):
    """The caller's role does not allow the action (403)."""

    http_status = 403


class RateLimited(DomainError):
    """Too many attempts; try again after `retry_after` seconds (429)."""

    http_status = 429

    def __init__(self, message: str, *, retry_after: int = 60, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

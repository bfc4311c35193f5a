"""Console forms: a service's refusal shown where a person looks for it."""

from .errors import DomainError


def show_errors(form, exc: DomainError, *, renamed: dict[str, str] | None = None) -> None:
    """Put each error beside the form field its path starts with (`2.email` → `2`), or above the form.

    `renamed` maps a service's field name to the form's where they differ (e.g. `date` → `received_on`).
    """
    for error in exc.errors:
        field = (error.get("field") or "").split(".")[0]
        field = (renamed or {}).get(field, field)
        form.add_error(field if field in form.fields else None, error["message"])

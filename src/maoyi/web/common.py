"""Small helpers every page module uses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from maoyi.attachments.selectors import attachments_of
from maoyi.audit.selectors import history_of
from maoyi.core.errors import DomainError, NotFoundInScope
from maoyi.org.models import Employee
from maoyi.org.scope import employee_of
from maoyi.web.forms import apply_domain_error

T = TypeVar("T")


def acting_employee(request: HttpRequest) -> Employee:
    """The employee doing a write. A login without an active employee record may not write: the
    services would take a missing actor for the system and skip their permission checks."""
    actor = employee_of(request.user)
    if actor is None:
        raise PermissionDenied
    return actor


def form_data(request: HttpRequest) -> Any:
    """The posted data for a bound form, or None to show an unbound one."""
    return request.POST if request.method == "POST" else None


def form_status(form: Any) -> int:
    """400 when a form comes back with errors, so tests and htmx can tell a refusal from a page."""
    return 400 if form.errors else 200


def chosen_tab(request: HttpRequest, tabs: Mapping[str, Any]) -> str:
    """The detail-page tab named by ?tab=, or the first one."""
    tab = request.GET.get("tab", "")
    return tab if tab in tabs else next(iter(tabs))


def record_panels(record: models.Model) -> dict[str, Any]:
    """What the attachments and history tabs of any detail page need."""
    content_type = ContentType.objects.get_for_model(record, for_concrete_model=False)
    return {
        "attachments": attachments_of(record),
        "history": history_of(record),
        "content_type_id": content_type.pk,
        "upload_limit_mb": f"{settings.MAOYI_UPLOAD_MAX_BYTES / (1024 * 1024):g}",
    }


def or_404(fetch: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a selector that raises DoesNotExist or NotFoundInScope for "missing" and "out of your
    scope" alike, and answer 404 for both."""
    try:
        return fetch(*args, **kwargs)
    except (ObjectDoesNotExist, NotFoundInScope):
        raise Http404 from None


# Workflow buttons on a document's page ----------------------------------------------------------------


def step(
    request: HttpRequest,
    doc: Any,
    run: Callable[[], object],
    *,
    render: Callable[..., HttpResponse],
    done: Any,
    detail: str,
) -> HttpResponse:
    """One button (submit, withdraw): call the service and go back to the document with `done`
    (a message with %(number)s), or show the service's refusal on the detail page (400)."""
    try:
        run()
    except DomainError as exc:
        doc.refresh_from_db()
        return render(request, doc, action_error=str(exc.message), status=400)
    messages.success(request, str(done) % {"number": doc.number})
    return redirect(detail, doc.pk)


def reasoned_step(
    request: HttpRequest,
    doc: Any,
    form: Any,
    run: Callable[[str], object],
    *,
    render: Callable[..., HttpResponse],
    form_name: str,
    done: Any,
    detail: str,
) -> HttpResponse:
    """A button that needs a reason (cancel, unapprove): `run(reason)`; a refusal goes onto the
    reason's form, which the detail page shows again as `form_name` (400)."""
    if form.is_valid():
        try:
            run(form.cleaned_data["reason"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, str(done) % {"number": doc.number})
            return redirect(detail, doc.pk)
    doc.refresh_from_db()
    return render(request, doc, status=400, **{form_name: form})


def with_reason(service: Callable[..., object], doc: Any, actor: Any) -> Callable[[str], object]:
    """`service(doc, actor=actor, reason=…)` as the `run` of a reasoned step."""
    return lambda reason: service(doc, actor=actor, reason=reason)

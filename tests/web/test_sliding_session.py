"""Sessions slide (an active user stays logged in) without a database write on every request."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maoyi.web.sessions import KEY, RENEW_SECONDS

pytestmark = pytest.mark.django_db


def _session_writes(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in captured.captured_queries
        if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    ]


def test_a_page_read_does_not_rewrite_the_session_until_it_is_due_for_renewal(company, client_for) -> None:
    client = client_for(company.rep_a1)
    home = reverse("web:home")
    client.get(home)  # the first request after logging in renews the session once
    key = client.session.session_key

    assert _session_writes(client, home) == []
    assert _session_writes(client, home) == []

    # Renewed more than RENEW_SECONDS ago: the next request saves the session with a new expiry.
    session = client.session
    session[KEY] = int(time.time()) - RENEW_SECONDS - 1
    session.save()
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(minutes=1))

    assert len(_session_writes(client, home)) == 1
    expires = Session.objects.get(session_key=key).expire_date
    assert expires > timezone.now() + dt.timedelta(hours=7)  # MAOYI_SESSION_SECONDS: 8 hours
    assert client.session[KEY] >= int(time.time()) - 5


def test_an_idle_session_still_ends(company, client_for) -> None:
    client = client_for(company.rep_a1)
    client.get(reverse("web:home"))
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )

    response = client.get(reverse("web:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))

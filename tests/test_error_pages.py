"""Friendly error pages: 400, 403, 404 inside the layout; 500 standalone, without the database."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path

import spm.urls


def forbidden(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("Malformed input")


def missing(request):
    raise Http404("No such quota")


def broken(request):
    raise RuntimeError("Something broke")


# This module is also the URLconf of its tests: the real routes plus views that fail on
# purpose, and the project's error handlers.
urlpatterns = [
    path("test-errors/403/", forbidden),
    path("test-errors/400/", suspicious),
    path("test-errors/404/", missing),
    path("test-errors/500/", broken),
    path("api/test-errors/403/", forbidden),
    path("api/test-errors/400/", suspicious),
    path("api/test-errors/404/", missing),
    path("api/test-errors/500/", broken),
    *spm.urls.urlpatterns,
]
handler400, handler403 = spm.urls.handler400, spm.urls.handler403
handler404, handler500 = spm.urls.handler404, spm.urls.handler500

pytestmark = pytest.mark.urls(__name__)


def test_unknown_url_renders_the_not_found_page(org, client_for, settings):
    assert settings.DEBUG is False
    response = client_for(org.rep).get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "We can" in html and "find that page" in html
    assert 'class="sidebar"' in html  # Inside the normal layout, with navigation.


def test_not_found_raised_by_a_view_renders_the_not_found_page(org, client_for):
    response = client_for(org.rep).get("/test-errors/404/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    # The exception's message is for logs, not for the page.
    assert "No such quota" not in response.content.decode()


def test_anonymous_visitor_gets_the_not_found_page_with_the_public_header(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "404" in html
    assert "Log in" in html and 'class="sidebar"' not in html


def test_permission_denied_renders_the_forbidden_page(org, client_for):
    response = client_for(org.rep).get("/test-errors/403/")
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "have access to this page" in html
    assert "rep" in html  # It names the role that lacks the right.


def test_suspicious_request_renders_the_bad_request_page(org, client_for):
    response = client_for(org.rep).get("/test-errors/400/")
    assert response.status_code == 400
    assert "400.html" in [t.name for t in response.templates]
    assert "Malformed input" not in response.content.decode()


def test_server_error_renders_the_standalone_error_page(org, db):
    client = Client(raise_request_exception=False)
    client.force_login(org.rep.user)
    response = client.get("/test-errors/500/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "Something broke" not in html


def test_server_error_page_renders_without_a_request_or_the_database(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert "css/app.css" in html


# --- The API speaks JSON to the end ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/no-such-resource/", 404),
        ("/api/no-such-thing/", 404),
        ("/api/test-errors/404/", 404),
        ("/api/test-errors/403/", 403),
        ("/api/test-errors/400/", 400),
        ("/api/test-errors/500/", 500),
    ],
)
def test_errors_under_the_api_answer_json(org, api_for, url, status):
    client = api_for(org.rep)
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"}
    assert "Something broke" not in body["detail"] and "No such quota" not in body["detail"]


def test_a_method_the_api_does_not_allow_answers_json(org, api_for):
    response = api_for(org.rep).delete("/api/v1/me/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_an_anonymous_caller_of_an_unknown_api_path_gets_json(db):
    response = Client().get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}

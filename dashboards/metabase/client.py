"""A small Metabase REST client over plain HTTP (requests): authentication and JSON calls.

Only what the open-source REST contract (v0.50+) offers is used; see dashboards/README.md.
"""
from __future__ import annotations

import os
from typing import Any

import requests

from config import Env

SESSION_HEADER = "X-Metabase-Session"
API_KEY_HEADER = "X-API-KEY"


class MetabaseError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        self.method, self.path, self.status, self.body = method, path, status, body
        super().__init__(f"{method} {path} -> HTTP {status}: {body[:500]}")


class MetabaseClient:
    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Content-Type"] = "application/json"

    # -- transport ------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None) -> Any:
        response = self.http.request(method, self.url + path, json=json, params=params, timeout=self.timeout)
        if response.status_code >= 400:
            raise MetabaseError(method, path, response.status_code, response.text)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json=body if body is not None else {})

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, json=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def get_list(self, path: str, **params: Any) -> list[dict]:
        """List endpoints answer either a bare list or {"data": [...], "total": n} (since v0.40)."""
        result = self.get(path, **params)
        if isinstance(result, dict) and "data" in result:
            return list(result["data"])
        return list(result or [])

    # -- authentication -------------------------------------------------------------------------
    def session_properties(self) -> dict:
        return self.get("/api/session/properties")

    def use_session(self, session_id: str) -> None:
        self.http.headers.pop(API_KEY_HEADER, None)
        self.http.headers[SESSION_HEADER] = session_id

    def use_api_key(self, api_key: str) -> None:
        self.http.headers.pop(SESSION_HEADER, None)
        self.http.headers[API_KEY_HEADER] = api_key

    def login(self, username: str, password: str) -> None:
        session = self.post("/api/session", {"username": username, "password": password})
        self.use_session(str(session["id"]))

    def setup(self, token: str, *, email: str, password: str, site_name: str,
              first_name: str, last_name: str, locale: str = "nl") -> None:
        """Create the first admin (works once; Metabase answers 403 afterwards)."""
        session = self.post("/api/setup", {
            "token": token,
            "user": {"email": email, "password": password, "first_name": first_name,
                     "last_name": last_name, "site_name": site_name},
            "prefs": {"site_name": site_name, "site_locale": locale, "allow_tracking": False},
        })
        self.use_session(str(session["id"]))


def connect(url: str, *, username: str | None = None, password: str | None = None,
            api_key: str | None = None, site_name: str = "Infopositie") -> tuple[MetabaseClient, bool]:
    """An authenticated client, running the first-time setup when Metabase still offers it.

    The setup admin comes from METABASE_ADMIN_EMAIL / METABASE_ADMIN_PASSWORD (falling back to
    the given username/password). Returns the client and whether setup ran.
    """
    client = MetabaseClient(url)
    properties = client.session_properties()
    token = properties.get("setup-token")
    if token and not properties.get("has-user-setup"):
        email = os.environ.get(Env.METABASE_ADMIN_EMAIL) or username
        secret = os.environ.get(Env.METABASE_ADMIN_PASSWORD) or password
        if not (email and secret):
            raise RuntimeError(
                "Metabase is not set up yet: set METABASE_ADMIN_EMAIL and METABASE_ADMIN_PASSWORD "
                "so the first administrator can be created.")
        client.setup(token, email=email, password=secret, site_name=site_name,
                     first_name=os.environ.get(Env.METABASE_ADMIN_FIRST_NAME, "Beheer"),
                     last_name=os.environ.get(Env.METABASE_ADMIN_LAST_NAME, "Infopositie"))
        return client, True
    if api_key:
        client.use_api_key(api_key)
    else:
        email = username or os.environ.get(Env.METABASE_ADMIN_EMAIL)
        secret = password or os.environ.get(Env.METABASE_ADMIN_PASSWORD)
        if not (email and secret):
            raise RuntimeError("Metabase credentials missing: give an API key or a username and password.")
        client.login(email, secret)
    # Fail here, with a clear message, rather than halfway through the apply.
    client.get("/api/user/current")
    return client, False

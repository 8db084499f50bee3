"""Fixtures of the browser tests: a real ``ecociv serve`` process on a free local port over a
temporary store, and Debian's Chromium driven headless by Selenium through Debian's chromedriver.

The tests skip, saying why, when Selenium, Chromium or chromedriver is missing (``.ci/run``
installs the Debian packages ``chromium`` and ``chromium-driver`` when it may). Screenshots are
written to ``$ECOCIV_ARTIFACTS/browser`` (default: a ``browser-artifacts`` folder in the system's
temporary folder), never into the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web_helpers import served

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "browser-admin-password"
PLANNER = ("planner1", "browser-planner-password")
VIEWER = ("viewer1", "browser-viewer-password")

pytestmark = pytest.mark.browser


def _find(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def browser_paths() -> tuple[str, str]:
    """(chromium, chromedriver) from the Debian packages, or skip saying what is missing."""
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[test]')")
    chromium = os.environ.get("ECOCIV_CHROMIUM") or _find("chromium", "chromium-browser")
    driver = os.environ.get("ECOCIV_CHROMEDRIVER") or _find("chromedriver")
    if chromium is None or driver is None:
        missing = [n for n, p in (("chromium", chromium), ("chromium-driver", driver)) if p is None]
        pytest.skip(f"no {' and '.join(missing)}: install Debian's package(s) {' '.join(missing)} "
                    "(.ci/run does when it may)")
    return chromium, driver


def artifacts_dir() -> Path:
    base = Path(os.environ.get("ECOCIV_ARTIFACTS") or Path(tempfile.gettempdir()) / "browser-artifacts")
    folder = base / "browser" if os.environ.get("ECOCIV_ARTIFACTS") else base
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Server:
    """A running ``ecociv serve`` and an admin session to prepare data through the API."""

    def __init__(self, base: str, store: Path, proc: subprocess.Popen[bytes]):
        self.base, self.store, self.proc = base, store, proc

    @contextmanager
    def client(self, user: str, password: str) -> Iterator[httpx.Client]:
        """An API client signed in as ``user`` with a bearer token."""
        with httpx.Client(base_url=self.base, timeout=60) as client:
            answer = client.post("/api/v1/auth/login", json={"username": user, "password": password})
            answer.raise_for_status()
            client.cookies.clear()
            client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
            yield client


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    browser_paths()
    store = tmp_path_factory.mktemp("browser-store")
    with served(store, ADMIN_PASSWORD, log=store / "server.log", cwd=store) as (proc, base):
        running = Server(base, store, proc)
        with running.client("admin", ADMIN_PASSWORD) as admin:
            for name, password, role in ((*PLANNER, "planner"), (*VIEWER, "viewer")):
                admin.post("/api/v1/users", json={"username": name, "password": password,
                                                  "role": role}).raise_for_status()
        yield running


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium (Debian's) with downloads going to ``tmp_path/downloads``."""
    chromium, driver_path = browser_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1100", "--lang=en-US"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        driver.quit()

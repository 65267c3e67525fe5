"""Headless Debian chromium driven by selenium, for the console's end-to-end tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
WAIT_S = 15


def require_browser() -> None:
    """Skip without chromium, except in CI (`CI=true`), where a missing browser fails."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if not missing:
        return
    reason = (
        f"the console's browser tests need {' and '.join(missing)} "
        "(apt-get install chromium chromium-driver)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def browser(width: int = 1280, height: int = 900) -> Iterator[webdriver.Chrome]:
    profile = tempfile.mkdtemp(prefix="wsd-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver: webdriver.Chrome, css: str) -> WebElement:
    element: WebElement = WebDriverWait(driver, WAIT_S).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
    )
    return element


def wait_for_text(driver: webdriver.Chrome, css: str, text: str) -> None:
    WebDriverWait(driver, WAIT_S).until(
        expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
    )


def submit(driver: webdriver.Chrome, button: WebElement) -> None:
    """Click a form's button and wait for the next page to replace this one."""
    page = driver.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(driver, WAIT_S).until(expected_conditions.staleness_of(page))


def fill(driver: webdriver.Chrome, label: str, value: str) -> None:
    """Type into the control a visible <label> names (as a person finds it)."""
    target = driver.find_element(By.XPATH, f"//label[normalize-space()={_xpath(label)}]")
    control = driver.find_element(By.ID, target.get_attribute("for") or "")
    control.clear()
    control.send_keys(value)


def _xpath(text: str) -> str:
    return f'"{text}"' if '"' not in text else f"'{text}'"


def screenshot(driver: webdriver.Chrome, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))

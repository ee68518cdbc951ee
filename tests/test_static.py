"""Static files as production serves them: collected with hashed names, served by WhiteNoise."""

import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture
def collected(settings, tmp_path):
    """Production's static files: collectstatic into a fresh STATIC_ROOT."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    call_command("collectstatic", interactive=False, verbosity=0)
    return tmp_path


def test_it_collects_the_stylesheet_and_script_under_hashed_names(collected):
    manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]

    for name in ["console/console.css", "console/refresh.js"]:
        hashed = manifest[name]
        assert re.fullmatch(rf"{name.rsplit('.', 1)[0]}\.[0-9a-f]{{12}}\.\w+", hashed)
        assert (collected / hashed).is_file()
        assert (collected / f"{hashed}.gz").is_file()


@pytest.mark.django_db
def test_it_links_the_hashed_names_and_serves_them_for_a_year(collected, admin_user):
    client = Client()
    client.force_login(admin_user)

    page = client.get("/logging/cdr/", {"refresh": "30"}).content.decode()
    stylesheet = re.search(r'href="(/static/console/console\.[0-9a-f]{12}\.css)"', page)
    script = re.search(r'src="(/static/console/refresh\.[0-9a-f]{12}\.js)"', page)
    assert stylesheet and script

    for url in [stylesheet[1], script[1]]:
        # WhiteNoise answers before any view: no sign-in needed, and nothing from the internet.
        response = Client().get(url)
        assert response.status_code == 200
        assert "max-age=315360000" in response["Cache-Control"]
        assert "immutable" in response["Cache-Control"]


def test_it_loads_no_asset_from_the_internet(settings):
    templates = (settings.BASE_DIR / "templates").rglob("*.html")
    static = (settings.BASE_DIR / "static").rglob("*.*")
    for path in [*templates, *static]:
        text = path.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path
        assert not re.search(r"""url\(["']?(https?:)?//""", text), path
        assert "@import" not in text, path

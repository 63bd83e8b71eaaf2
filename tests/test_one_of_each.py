"""One of each: a thing the project needs in several places is written once and used from
there, so the copies cannot drift apart.

- uv is installed by ``scripts/bootstrap`` only, which pins its version once; the test runner,
  the demo and CI call it.
- The browser's date picker is ``spm.web.widgets.DateInput``; no other module defines one.
"""

import ast
import datetime as dt
import re
from pathlib import Path

from django import forms
from django.utils import translation

from spm.web.widgets import DateInput

BASE_DIR = Path(__file__).resolve().parent.parent
FIRST_PARTY_PACKAGES = ["spm", "territories", "quotas", "activities", "accountability"]

# --- uv: one bootstrap script, one pinned version -------------------------------------------

BOOTSTRAP = BASE_DIR / "scripts" / "bootstrap"
BOOTSTRAP_USERS = ["scripts/test", "scripts/demo", ".ci/run"]
# A pip requirement on uv, with or without a version: "uv==0.13.9", "uv>=0.5", "uv".
UV_REQUIREMENT = re.compile(r"""pip install[^\n]*["'\s]uv(?:[=<>~!]=?[\w.*${}]+)?["'\s]""")


def pinned_uv_version() -> str:
    pins = re.findall(r'^UV_VERSION="([^"]+)"$', BOOTSTRAP.read_text(), flags=re.MULTILINE)
    assert len(pins) == 1, f"scripts/bootstrap must pin uv exactly once, found {pins}"
    return pins[0]


def test_the_bootstrap_script_pins_one_exact_uv_version_and_installs_that_version():
    version = pinned_uv_version()
    text = BOOTSTRAP.read_text()

    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    # Every install route (pip, pip --user, the private venv) takes the pinned version.
    assert text.count('"uv==${UV_VERSION}"') == 3
    assert "var/uv-bootstrap" in text
    assert "sync --frozen" in text


def test_the_test_runner_the_demo_and_ci_install_uv_only_through_the_bootstrap_script():
    for name in BOOTSTRAP_USERS:
        text = (BASE_DIR / name).read_text()
        assert "scripts/bootstrap" in text, f"{name} does not call scripts/bootstrap"
        assert not UV_REQUIREMENT.search(text), f"{name} installs uv itself"
        assert "UV_VERSION" not in text, f"{name} has its own uv version"
        assert pinned_uv_version() not in text, f"{name} repeats uv's version"


def test_ci_times_the_python_environment_install_as_its_own_step_through_the_bootstrap():
    steps = re.findall(r"^step \"([^\"]+)\" (.+)$", (BASE_DIR / ".ci/run").read_text(), re.M)

    install = [command for title, command in steps if title.startswith("Install the Python")]
    assert install == ["scripts/bootstrap"]


def test_the_docker_image_installs_the_uv_version_the_bootstrap_script_pins():
    # The image cannot run the bootstrap script before it copies the project, so it keeps
    # its own pin; this keeps the two the same.
    pins = re.findall(r"uv==([\w.]+)", (BASE_DIR / "Dockerfile").read_text())

    assert pins == [pinned_uv_version()]


# --- The date picker: one widget -----------------------------------------------------------


def first_party_modules() -> list[Path]:
    return sorted(
        path
        for package in FIRST_PARTY_PACKAGES
        for path in (BASE_DIR / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def date_input_classes(path: Path) -> list[str]:
    """Names of the classes in ``path`` whose body sets ``input_type = "date"``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.ClassDef):
            continue
        for statement in node.body:
            targets = (
                statement.targets
                if isinstance(statement, ast.Assign)
                else [statement.target]
                if isinstance(statement, ast.AnnAssign)
                else []
            )
            value = getattr(statement, "value", None)
            if (
                any(isinstance(t, ast.Name) and t.id == "input_type" for t in targets)
                and isinstance(value, ast.Constant)
                and value.value == "date"
            ):
                found.append(node.name)
    return found


def test_the_search_for_date_widgets_finds_the_shared_one():
    # Guards the test below against passing because it looks in the wrong place.
    widgets = BASE_DIR / "spm" / "web" / "widgets.py"
    assert widgets in first_party_modules()
    assert date_input_classes(widgets) == ["DateInput"]


def test_no_module_but_the_shared_widgets_defines_its_own_date_picker():
    shared = BASE_DIR / "spm" / "web" / "widgets.py"
    copies = {
        str(path.relative_to(BASE_DIR)): names
        for path in first_party_modules()
        if path != shared and (names := date_input_classes(path))
    }

    assert copies == {}, "use spm.web.widgets.DateInput instead of these copies"


def test_the_date_picker_renders_and_reads_iso_dates_whatever_the_language():
    class Form(forms.Form):
        day = forms.DateField(widget=DateInput)

    with translation.override("de"):
        html = str(Form(initial={"day": dt.date(2026, 3, 31)})["day"])
        bound = Form(data={"day": "2026-03-31"})
        assert bound.is_valid(), bound.errors

    assert 'type="date"' in html
    assert 'value="2026-03-31"' in html
    assert bound.cleaned_data["day"] == dt.date(2026, 3, 31)


def test_the_date_picker_keeps_the_attributes_it_is_given():
    html = DateInput(attrs={"min": "2026-01-01"}).render("day", dt.date(2026, 3, 31))

    assert 'min="2026-01-01"' in html and 'value="2026-03-31"' in html

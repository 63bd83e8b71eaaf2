"""One of each: a thing the project needs in several places is written once and used from
there, so the copies cannot drift apart.

- uv is installed by ``scripts/bootstrap`` only, which pins its version once; the test runner,
  the demo and CI call it.
"""

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

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

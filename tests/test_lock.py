"""The committed lock is what gets installed, and it agrees with pyproject.toml's ranges."""

import re
import sys
import tomllib
from importlib.metadata import distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def locked(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    return {canonicalize_name(n): version for n, version in PINNED.findall(text)}


def test_development_lock_pins_the_runtime_set_at_the_same_versions():
    run, dev = locked("run.txt"), locked("dev.txt")
    assert {name: dev.get(name) for name in run} == run


def test_lock_satisfies_every_range_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + [
        spec for extra in project["optional-dependencies"].values() for spec in extra
    ]
    dev = locked("dev.txt")
    outside = []
    for requirement in map(Requirement, wanted):
        version = dev.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            outside.append(f"{requirement} (locked: {version})")
    assert outside == []


@pytest.mark.skipif(
    Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
    reason="checks the project's own .venv, which `make install-dev` builds from the lock",
)
def test_installed_distributions_are_the_locked_versions():
    dev = locked("dev.txt")
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    installed.pop("pip", None)  # the venv's own installer
    installed.pop("causerie", None)
    assert {name: dev.get(name) for name in installed} == installed

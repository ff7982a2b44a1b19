"""The house flows one way: each package imports only the layers below it (issue 16).

    audio_features  <  analysis  <  store  <  workers, service  <  cli

``audio_features`` measures; ``analysis`` composes the measures into a report; ``store`` is what the
API and the workers share (settings, database, audio, queue); ``workers`` run RQ jobs and ``service``
serves HTTP, and neither imports the other (the API enqueues jobs by name); ``cli`` may import all.
Every import counts, at the top of a module or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("audio_features", "analysis", "store", "workers", "service", "cli")
ALLOWED = {
    "audio_features": {"audio_features"},
    "analysis": {"analysis", "audio_features"},
    "store": {"store", "analysis", "audio_features"},
    "workers": {"workers", "store", "analysis", "audio_features"},
    "service": {"service", "store", "analysis", "audio_features"},
    "cli": set(PACKAGES),
}


def imported_packages(source: str) -> set[str]:
    """The project packages a module's source imports (absolute imports; the project uses no relative ones)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {n.split(".")[0] for n in names if n.split(".")[0] in PACKAGES}
    return found


def violations(package: str) -> list[str]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for target in sorted(imported_packages(path.read_text()) - ALLOWED[package]):
            out.append(f"{path.relative_to(ROOT)} imports {target}")
    return out


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_the_layers_below_it(package):
    assert (ROOT / package / "__init__.py").is_file()
    assert violations(package) == []


def test_the_check_sees_an_upward_import_anywhere_in_a_module():
    source = "import json\n\ndef f():\n    from service.app import create_app\n    import workers.jobs\n"
    assert imported_packages(source) == {"service", "workers"}
    assert imported_packages("from store.db import Call") - ALLOWED["analysis"] == {"store"}
    assert "service" not in ALLOWED["workers"] and "workers" not in ALLOWED["service"]


def test_the_peer_pipeline_imports_nothing_from_callscope():
    """``bench/peer.py`` is the do-it-yourself pipeline callscope is measured against (issue 19): it must be
    built from faster-whisper and pyannote alone, or the comparison measures callscope against itself."""
    source = (ROOT / "bench" / "peer.py").read_text()
    assert imported_packages(source) == set()
    assert "from bench" not in source and "import bench" not in source and "fixtures" not in source

"""Every third-party module the shipped app imports is a dependency that ``pyproject.toml`` declares.

``crosssell_app`` is what the wheel ships; a module it imports must come with ``pip install
crosssell``. A module of an optional extra (the API's DRF, the MLP's TensorFlow) may only be
imported where a missing extra does no harm: inside a function, inside ``try``/``except
ImportError``, or anywhere in a subpackage that exists only with that extra (``crosssell_app/api``),
which in turn is never imported at module level from outside. Imports under ``if TYPE_CHECKING:``
never run and are not counted.

Modules are mapped to distributions with ``importlib.metadata.packages_distributions()``, so this
needs the development environment (``requirements.txt``, every extra installed).
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
APP = "crosssell_app"

#: subpackage of the app -> the extra without which it is never imported
OPTIONAL_SUBPACKAGES = {f"{APP}.api": "api"}


def declared_dependencies(pyproject: Path = REPO / "pyproject.toml") -> tuple[set[str], dict[str, set[str]]]:
    """Return the canonical distribution names of ``[project] dependencies`` and of each extra."""
    project = tomllib.loads(pyproject.read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {canonicalize_name(Requirement(line).name) for line in requirements}

    extras = {extra: names(lines) for extra, lines in project.get("optional-dependencies", {}).items()}
    return names(project.get("dependencies", [])), extras


def module_name(relative: Path) -> str:
    """Return the dotted name of the module at ``relative`` (a path below the repository)."""
    parts = list(relative.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.Module, module: str, is_package: bool):
    """Yield ``(line, absolute module name, deferred)`` for each import that can run.

    ``deferred`` is true inside a function or in the body of a ``try`` that catches ImportError.
    Relative imports are resolved against ``module``.
    """
    package = module.split(".") if is_package else module.split(".")[:-1]

    def targets(node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
        head = ".".join(part for part in (base, node.module or "") if part)
        return [head] if node.module else [f"{head}.{alias.name}" for alias in node.names]

    def walk(node: ast.AST, deferred: bool):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in targets(node):
                yield node.lineno, target, deferred
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            body_runs = node.orelse
        elif isinstance(node, ast.Try) and _catches_import_error(node):
            for child in node.body:
                yield from walk(child, True)
            body_runs = [*node.handlers, *node.orelse, *node.finalbody]
        else:
            deferred = deferred or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            body_runs = list(ast.iter_child_nodes(node))
        for child in body_runs:
            yield from walk(child, deferred)

    yield from walk(tree, False)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _catches_import_error(node: ast.Try) -> bool:
    caught = [handler.type for handler in node.handlers]
    names = {n.id for t in caught if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}
    return bool(names & {"ImportError", "ModuleNotFoundError"})


def problems_of(source: str, relative: Path, declared: tuple[set[str], dict[str, set[str]]],
                distributions: dict[str, list[str]]) -> list[str]:
    """Return, for one module's ``source``, each import a plain ``pip install crosssell`` would break."""
    core, extras = declared
    module = module_name(relative)
    problems = []
    for line, target, deferred in imported_modules(ast.parse(source), module, relative.name == "__init__.py"):
        where = f"{relative}:{line} imports {target}"
        own_extra = next((extra for sub, extra in OPTIONAL_SUBPACKAGES.items()
                          if module == sub or module.startswith(f"{sub}.")), None)
        top = target.split(".")[0]
        if top == APP:
            needed = next((extra for sub, extra in OPTIONAL_SUBPACKAGES.items()
                           if target == sub or target.startswith(f"{sub}.")), None)
            if needed and needed != own_extra and not deferred:
                problems.append(f"{where} at module level; it needs the {needed!r} extra")
            continue
        if top in sys.stdlib_module_names:
            continue
        provided_by = {canonicalize_name(name) for name in distributions.get(top, [])}
        if not provided_by:
            problems.append(f"{where}, which no installed distribution provides: declare it and install it")
        elif provided_by & core:
            continue
        elif in_extras := [extra for extra, names in extras.items() if provided_by & names]:
            if not deferred and own_extra not in in_extras:
                problems.append(f"{where} at module level, but it comes only with the extra(s) {in_extras}: "
                                "import it inside the function that needs it")
        else:
            problems.append(f"{where}, from {sorted(provided_by)}, which pyproject.toml does not declare")
    return problems


def test_the_shipped_app_imports_only_its_declared_dependencies():
    declared = declared_dependencies()
    distributions = packages_distributions()
    problems = [
        problem
        for path in sorted((REPO / APP).rglob("*.py"))
        for problem in problems_of(path.read_text(), path.relative_to(REPO), declared, distributions)
    ]
    assert problems == []


# The checker itself, on made-up modules: each rule must be able to fail.
DECLARED = ({"django", "numpy"}, {"api": {"djangorestframework"}, "mlp": {"tensorflow-cpu", "tensorflow"}})
DISTRIBUTIONS = {"django": ["Django"], "numpy": ["numpy"], "rest_framework": ["djangorestframework"],
                 "tensorflow": ["tensorflow_cpu"], "psutil": ["psutil"]}


def check(source: str, path: str = "crosssell_app/views.py") -> list[str]:
    return problems_of(source, Path(path), DECLARED, DISTRIBUTIONS)


def test_an_undeclared_distribution_is_reported_wherever_it_is_imported():
    assert check("import psutil\n") == [
        "crosssell_app/views.py:1 imports psutil, from ['psutil'], which pyproject.toml does not declare"]
    assert len(check("def peak():\n    import psutil\n")) == 1


def test_a_module_no_installed_distribution_provides_is_reported():
    assert "no installed distribution provides" in check("from tqdm import tqdm\n")[0]


def test_standard_library_declared_and_relative_imports_pass():
    assert check("import json\nfrom django.db import models\nimport numpy as np\nfrom . import conf\n") == []


def test_an_extra_is_imported_only_in_a_function_or_an_import_error_guard():
    assert "only with the extra(s) ['mlp']" in check("import tensorflow\n")[0]
    assert check("def fit():\n    import tensorflow\n") == []
    assert check("try:\n    import rest_framework\nexcept ImportError:\n    rest_framework = None\n") == []
    assert len(check("try:\n    import rest_framework\nexcept ValueError:\n    pass\n")) == 1


def test_the_api_subpackage_may_use_its_extra_but_is_imported_lazily_from_elsewhere():
    assert check("from rest_framework import viewsets\n", "crosssell_app/api/views.py") == []
    assert check("from tensorflow import keras\n", "crosssell_app/api/views.py") != []
    assert "needs the 'api' extra" in check("from .api import views\n", "crosssell_app/urls.py")[0]
    assert "needs the 'api' extra" in check("from . import api\n", "crosssell_app/urls.py")[0]
    assert check("from .serializers import X\n", "crosssell_app/api/views.py") == []
    assert check("def urls():\n    from .api import urls\n", "crosssell_app/urls.py") == []


def test_imports_only_a_type_checker_sees_are_not_counted():
    assert check("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import psutil\n") == []

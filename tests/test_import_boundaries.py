"""The one-way imports of ``docs/architecture.md``: checked in a clean interpreter and on the source.

Each part is imported in a fresh ``python -c`` process with an import recorder installed first,
so the modules it pulls in are exactly its own (this test process has loaded everything). The
recorder notes, for every module, the module whose code first imported it, so a failure names
the chain that brought a forbidden module in, not only the module.

The static half reads every module of the app with ``ast`` (imports at module level and inside
functions, relative ones resolved) and asserts that no module imports another that imports it
back, directly or through others.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "crosssell_app"

#: what only the training side may load: the numeric stack, the algorithms, the training code
NUMERIC = ("numpy", "scipy", "pandas", "sklearn", "tensorflow", "keras")
TRAINING_SIDE = (*NUMERIC, "crosssell_app.recommenders", "crosssell_app.training", "crosssell_app.tasks")

#: installed before anything else in the child: records ``module -> the modules on the stack importing it``
RECORDER = textwrap.dedent('''
    import json, sys

    _importers = {}


    def _machinery(module):
        return module == "importlib" or module.startswith(("importlib.", "_frozen_importlib"))


    class _Recorder:
        """A meta-path finder that finds nothing: it notes which code (module by module) asked for a new module."""

        def find_spec(self, name, path=None, target=None):
            if name not in _importers:
                stack, frame = [], sys._getframe(1)
                while frame is not None:
                    module = frame.f_globals.get("__name__", "?")
                    if not _machinery(module) and (not stack or stack[-1] != module):
                        stack.append(module)
                    frame = frame.f_back
                _importers[name] = stack
            return None


    sys.meta_path.insert(0, _Recorder())
    _before = set(sys.modules)


    def report():
        """Print the modules loaded since the recorder started, and the import stack of each."""
        loaded = sorted(set(sys.modules) - _before)
        print("IMPORTS " + json.dumps({"loaded": loaded, "importers": _importers}))
''')

DJANGO_SETUP = textwrap.dedent('''
    import django
    django.setup()
''')


def run_child(body: str, **env: str) -> dict:
    """Run ``body`` after the recorder in a fresh interpreter at the repo root; return its report."""
    code = RECORDER + textwrap.dedent(body) + "\nreport()\n"
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "CROSSSELL_TEST_DB": "sqlite",
                   "CELERY_BROKER_URL": "", **env}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=environment, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("IMPORTS "))
    return json.loads(line[len("IMPORTS "):])


def offenders(report: dict, forbidden: tuple[str, ...]) -> list[str]:
    """Return, for each forbidden module the child loaded, the modules whose code imported it.

    ``forbidden`` holds module names; a name covers its submodules. A forbidden module imported
    by another forbidden one is not listed: the first one's chain is the news.
    """
    def bad(name: str) -> bool:
        return any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden)

    stacks = report["importers"]
    return [" <- ".join([name, *stacks.get(name, [])]) for name in report["loaded"]
            if bad(name) and not any(map(bad, stacks.get(name, [])[:1]))]


def assert_none_loaded(report: dict, forbidden: tuple[str, ...]) -> None:
    found = offenders(report, forbidden)
    assert not found, "forbidden imports (module <- the code importing it <- ...):\n" + "\n".join(found)


def modules_of(package: str) -> list[str]:
    """Return the dotted names of every module of ``package`` (a folder of the app), from its files."""
    return [_module_name(path, REPO) for path in sorted(REPO.joinpath(*package.split(".")).rglob("*.py"))]


def import_all(modules: list[str]) -> str:
    return "import importlib\n" + "".join(f"importlib.import_module({name!r})\n" for name in modules)


# ---------------------------------------------------------------------------------------- runtime
def test_the_recommenders_import_neither_django_nor_tensorflow():
    report = run_child(import_all(modules_of("crosssell_app.recommenders")))
    assert "crosssell_app.recommenders.hybrid" in report["loaded"]  # the check saw the modules it speaks of
    assert_none_loaded(report, ("django", "tensorflow", "keras"))


def test_the_offline_evaluation_and_the_shared_schemas_import_no_django():
    """A notebook or ``bench/`` uses them without settings: the protocol, the explanation schema
    the recommenders return, and the rules of what counts as a sale in an order export."""
    schemas = ["crosssell_app.explanations", "crosssell_app.tracking.order_rows"]
    report = run_child(import_all([*modules_of("crosssell_app.evaluation"), *schemas]))
    assert "crosssell_app.evaluation.protocol" in report["loaded"]
    assert_none_loaded(report, ("django", "tensorflow", "keras"))


def test_serving_imports_no_training_no_recommender_and_no_numeric_library():
    report = run_child(DJANGO_SETUP + import_all(modules_of("crosssell_app.serving")))
    assert "crosssell_app.serving.lists" in report["loaded"]
    assert_none_loaded(report, TRAINING_SIDE)


#: what a page view, a recorded order or the "Retrain now" button runs through
WEB_MODULES = [
    "tests.urls", "crosssell_app.urls", "crosssell_app.api.urls", "crosssell_app.api.views",
    "crosssell_app.templatetags.crosssell_tags", "crosssell_app.admin", "crosssell_app.receivers",
    "crosssell_app.views", "crosssell_app.mixins", "crosssell_app.tracking", "crosssell_app.retraining",
    "crosssell_app.schedules",
]

#: a web process: a Celery app with a real (in-memory) broker, so tasks are sent, not run here
WEB_PROCESS = import_all(WEB_MODULES) + textwrap.dedent('''
    from celery import Celery
    from celery.signals import before_task_publish
    from django.core.management import call_command
    from django.db import transaction
    from django.test import override_settings

    app = Celery("web", set_as_current=True)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    assert app.conf.broker_url == "memory://" and not app.conf.task_always_eager
    published = []
    before_task_publish.connect(lambda sender=None, **kwargs: published.append(sender), weak=False)

    call_command("migrate", verbosity=0)

    from django.conf import settings
    from crosssell_app.retraining import request_retrain
    from crosssell_app.tracking import record_order
    from tests.testapp.models import Item

    mug, plate = Item.objects.create(code="M", title="Mug"), Item.objects.create(code="P", title="Plate")
    with override_settings(CROSSSELL={**settings.CROSSSELL, "REALTIME_UPDATES": True}):
        with transaction.atomic():
            record_order("IMPORTS-1", [(mug, 1, 5), (plate, 1, 7)])
        with transaction.atomic():
            run = request_retrain(trigger="admin")
    run.refresh_from_db()
    assert run.status == "queued" and run.task_id, (run.status, run.task_id, run.error)
    # the two new products' lists (REALTIME_UPDATES is on by default), the order's pairs, the retrain
    assert published == ["crosssell_app.tasks.publish_new_product", "crosssell_app.tasks.publish_new_product",
                         "crosssell_app.tasks.update_bought_together", "crosssell_app.tasks.retrain"], published
''')


def test_the_web_process_never_imports_training_even_when_it_records_orders_and_asks_for_a_retrain():
    report = run_child(DJANGO_SETUP + WEB_PROCESS, CELERY_BROKER_URL="memory://")
    assert "crosssell_app.tracking.recording" in report["loaded"]
    assert_none_loaded(report, TRAINING_SIDE)


def test_the_recorder_names_the_chain_that_pulled_a_module_in(tmp_path):
    """The failure message of the tests above is only as good as this: a known chain is found."""
    (tmp_path / "outer.py").write_text("import middle\n")
    (tmp_path / "middle.py").write_text("def later():\n    import inner\n\n\nlater()\n")
    (tmp_path / "inner.py").write_text("import json\n")
    report = run_child(f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\nimport outer\n")
    assert offenders(report, ("middle", "inner")) == ["middle <- outer <- __main__"]
    assert offenders(report, ("inner",)) == ["inner <- middle <- outer <- __main__"]


# ---------------------------------------------------------------------------------------- static
def import_graph(package: Path = APP) -> dict[str, dict[str, int]]:
    """Return ``{module: {module of the package it imports: line}}`` for every ``.py`` file of ``package``.

    Imports inside functions count (they run too), and so does ``import_module("literal")`` (a
    lazy re-export); imports under ``if TYPE_CHECKING:`` do not, nor do tasks sent by name.
    ``from package import name`` is an edge to ``package.name`` when that is a module, else to
    ``package`` itself (its ``__init__``: re-exports are edges too).
    """
    files = {_module_name(path, package.parent): path for path in sorted(package.rglob("*.py"))}
    graph: dict[str, dict[str, int]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        edges: dict[str, int] = {}
        for node in _runtime_imports([ast.parse(path.read_text(), filename=str(path))]):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(name, is_package, node.module, node.level)
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base for alias in node.names]
            else:
                literal = node.args[0].value
                relative = len(literal) - len(literal.lstrip("."))
                targets = [_absolute(name, is_package, literal[relative:], relative)]
            for target in targets:
                if target in files and target != name:
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def _module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(nodes):
    """Yield the imports under ``nodes`` that can run (not under ``if TYPE_CHECKING:``): import
    statements, and ``import_module`` calls with a literal name."""
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _runtime_imports(node.orelse)
            continue
        if (isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == "import_module"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node
        yield from _runtime_imports(ast.iter_child_nodes(node))


def _absolute(module: str, is_package: bool, target: str | None, level: int) -> str:
    """Return the module that ``from <level dots><target> import ...`` names when written in ``module``."""
    if level == 0:
        return target or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Return one cycle ``[a, b, ..., a]`` for every group of modules that import each other."""
    return sorted(_path_back(graph, min(group), group) for group in _strongly_connected(graph) if len(group) > 1)


def _strongly_connected(graph: dict[str, dict[str, int]]) -> list[set[str]]:
    """Return the strongly connected components of ``graph`` (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> tuple[str, object]:
        index[node] = low[node] = len(index)
        stack.append(node)
        return node, iter(sorted(graph[node]))

    for root in sorted(graph):
        if root in index:
            continue
        work = [visit(root)]
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    work.append(visit(child))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                cut = stack.index(node)
                groups.append(set(stack[cut:]))
                del stack[cut:]
    return groups


def _path_back(graph: dict[str, dict[str, int]], start: str, group: set[str]) -> list[str]:
    """Return the shortest import path from ``start`` back to ``start`` through ``group``."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node]):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if child in group and child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise ValueError(f"{start} is in no cycle of {sorted(group)}")


def describe(graph: dict[str, dict[str, int]], cycle: list[str]) -> str:
    """Return ``a (line n) -> b (line m) -> a``: where each module of the cycle imports the next."""
    return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


def test_no_module_of_the_app_imports_one_that_imports_it_back():
    graph = import_graph()
    assert "crosssell_app.training.service" in graph["crosssell_app.tasks"]  # the graph holds real edges
    assert [describe(graph, cycle) for cycle in cycles(graph)] == []


def test_cycles_through_function_level_imports_and_package_reexports_are_found(tmp_path):
    sources = {
        "__init__.py": "",
        "part/__init__.py": "from .inner import thing\n",  # a re-export
        "part/inner.py": "def thing():\n    from ..outer import other\n",  # an import inside a function
        "outer.py": "from shop.part import thing\nother = 1\n",
        "lazy/__init__.py": "from importlib import import_module\n\n\n"
                            "def __getattr__(name):\n    return import_module('.impl', __name__)\n",
        "lazy/impl.py": "import shop.lazy\n",
        "typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .outer import other\n",
        "plain.py": "from . import typed\n",
    }
    for name, text in sources.items():
        path = tmp_path / "shop" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    graph = import_graph(tmp_path / "shop")
    assert cycles(graph) == [["shop.lazy", "shop.lazy.impl", "shop.lazy"],
                             ["shop.outer", "shop.part", "shop.part.inner", "shop.outer"]]
    assert describe(graph, cycles(graph)[1]) == (
        "shop.outer (line 1) -> shop.part (line 1) -> shop.part.inner (line 2) -> shop.outer")
    assert graph["shop.typed"] == {} and graph["shop.plain"] == {"shop.typed": 1}

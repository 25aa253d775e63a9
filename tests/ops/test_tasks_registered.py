"""Every Celery task in the code is registered by the worker the README starts, and beat names only those."""

from __future__ import annotations

import ast
import pathlib

from django.conf import settings

from payments.online.jobs import Job
from portal.celery import app

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _tasks_defined_in_the_code() -> set[str]:
    names: set[str] = set()
    for package in ("portal", "vouchers", "payments"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if getattr(target, "attr", getattr(target, "id", "")) not in ("shared_task", "task"):
                        continue
                    explicit = None
                    if isinstance(decorator, ast.Call):
                        named = [k.value for k in decorator.keywords if k.arg == "name"]
                        explicit = _name(named[0]) if named else None
                    names.add(explicit or f"{module}.{node.name}")
    return names


def _name(node: ast.expr) -> str | None:
    """A task's ``name=``: a string, or a member of online payment's ``Job`` names (``Job.START_CASH_REFUND``)."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Job":
        return Job[node.attr].value
    raise AssertionError(f"a task name the scan cannot read: {ast.dump(node)}")


def _registered_by_a_worker() -> set[str]:
    # What `celery -A portal worker` does at start: import the configured and autodiscovered modules.
    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_every_task_in_the_code_is_registered_by_the_worker() -> None:
    defined = _tasks_defined_in_the_code()
    assert len(defined) >= 13, defined  # the scan itself works
    missing = defined - _registered_by_a_worker()
    assert not missing, f"defined but not registered by the worker: {sorted(missing)}"


def test_every_beat_entry_names_a_registered_task() -> None:
    registered = _registered_by_a_worker()
    schedule = settings.CELERY_BEAT_SCHEDULE
    unknown = {name: entry["task"] for name, entry in schedule.items() if entry["task"] not in registered}
    assert not unknown, f"beat entries naming unregistered tasks: {unknown}"


def test_every_job_a_service_asks_for_has_its_task() -> None:
    """Online payment's services queue tasks by ``Job`` name (they sit below the tasks): each name is a task."""
    registered = _registered_by_a_worker()
    assert {job.value for job in Job} <= registered, sorted({job.value for job in Job} - registered)
    assert {job.value for job in Job} <= _tasks_defined_in_the_code()

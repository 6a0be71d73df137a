"""``owingest serve``: serve the deployments declared in ``prefect.yaml`` from this machine.

``prefect.yaml`` is the one place where deployments and schedules are declared;
this module reads it and hands the same deployments to ``prefect.serve``, so
``prefect deploy`` and ``owingest serve`` cannot drift apart.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from owingest.errors import ConfigError

__all__ = ["build_deployments", "read_deployments", "serve_deployments"]


def read_deployments(project: Path) -> list[dict[str, Any]]:
    """The ``deployments`` of ``project/prefect.yaml``; errors name the file and the entry."""
    path = project / "prefect.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (serve runs from the project folder)") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    deployments = data.get("deployments")
    if not isinstance(deployments, list) or not deployments:
        raise ConfigError(f"{path}: no 'deployments' list")
    for n, dep in enumerate(deployments, 1):
        for key in ("name", "entrypoint"):
            if not isinstance(dep, dict) or not dep.get(key):
                raise ConfigError(f"{path}: deployment #{n}: field '{key}' is missing")
    return deployments


def build_deployments(project: Path) -> list[Any]:
    """Runner deployments for ``prefect.serve``: the flows loaded from their entrypoints."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig
    from prefect.flows import load_flow_from_entrypoint
    from prefect.schedules import Cron

    built = []
    for dep in read_deployments(project):
        entry = str(project / dep["entrypoint"])
        flow: Any = load_flow_from_entrypoint(entry)
        schedules = [Cron(s["cron"], timezone=s.get("timezone", "UTC"))
                     for s in dep.get("schedules") or [] if s.get("cron")]
        limit = dep.get("concurrency_limit")
        built.append(flow.to_deployment(
            name=dep["name"], schedules=schedules or None, parameters=dep.get("parameters") or {},
            description=dep.get("description"), tags=dep.get("tags"),
            concurrency_limit=ConcurrencyLimitConfig(**limit) if isinstance(limit, dict) else limit,
        ))
    return built


def serve_deployments(project: Path) -> None:
    """Serve every deployment until interrupted; schedules stay active on shutdown."""
    from prefect import serve

    os.chdir(project)  # the deployments' paths (sources.yaml, warehouse/) are relative
    serve(*build_deployments(Path(".")), pause_on_shutdown=False)

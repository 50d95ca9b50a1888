"""What the benchmark scripts share: a median rate over rounds, and the settings of a throw-away registry."""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROUNDS = 3


def median_rate(n: int, run: Callable[[int], object]) -> float:
    """Calls per second of `run(n)` (which does n calls), the median of ROUNDS runs."""
    rates = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run(n)
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def registry_settings(workdir: Path, database: str, **overrides: str) -> dict[str, str]:
    """A development registry in `workdir`: its own keystore, secrets and SQLite file `database`."""
    return {
        "REGISTRY_ENV": "development",
        "REGISTRY_INSTANCE_PATH": str(workdir / "instance"),
        "REGISTRY_KEYSTORE_DIR": str(workdir / "keys"),
        "REGISTRY_KEYSTORE_SECRET": secrets.token_urlsafe(32),
        "REGISTRY_HOLDER_KEY": secrets.token_urlsafe(32),
        "REGISTRY_DATABASE_URL": f"sqlite:///{workdir / database}",
        "REGISTRY_LOG_LEVEL": "WARNING",
        **overrides,
    }


def business_licences(type_code: str, count: int) -> list[Any]:
    """`count` issue requests for a business-licence-like type (tests.factories.make_type's fields)."""
    from registry.certificates import IssueRequest
    from tests.factories import citizen_id

    return [
        IssueRequest(
            type_code=type_code,
            holder_kind="person",
            holder_id=citizen_id(),
            holder_name="王小明",
            fields={
                "company_name": "上海示例科技有限公司",
                "legal_representative": "王小明",
                "registered_capital": 1000000,
                "established_on": "2021-03-04",
                "employees": 42,
                "listed": False,
            },
        )
        for _ in range(count)
    ]

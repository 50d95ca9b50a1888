"""Access-log proof latency at 10,000 and at 1,000,000 entries: inclusion and consistency proofs as the
public endpoints serve them, which read the stored perfect subtrees (O(log n) rows), not the leaves.

The logs are built directly (rows with real leaves, MACs and nodes, as `AccessLog.record` writes them,
in bulk) so that building a million entries takes about a minute, not an hour of requests. Each figure
is the median latency of 300 proofs for random entries and sizes, through the Flask test client.
`python -m bench.logproofs [SMALL LARGE]`; SQLite.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask.testing import FlaskClient

from bench.common import registry_settings

BATCH = 20_000
PROOFS = 300


def build_log(size: int) -> None:
    """Append `size` synthetic entries the way the registry does, in bulk, with progress on stderr."""
    from sqlalchemy import insert

    from registry.accesslog import LEAF_FORMAT, AccessLog, entry_bytes
    from registry.models import LogEntry, LogHead, LogNode, db
    from registry.vocabulary import Action
    from verifiers.merkle import Frontier, leaf_hash

    mac = AccessLog(db.session()).mac
    frontier, start, at = Frontier(), time.perf_counter(), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for lo in range(0, size, BATCH):
        rows, nodes = [], []
        for idx in range(lo, min(size, lo + BATCH)):
            values = {
                "idx": idx, "at": at + dt.timedelta(seconds=idx), "actor_kind": "agency", "actor_id": "bench",
                "actor_department_id": None, "action": Action.CERTIFICATE_VERIFY, "certificate": None,
                "holder_ref": f"{idx:064x}", "subject_department_id": None, "service_item": None,
                "reason": None, "outcome": "ok", "error_code": None, "leaf_format": LEAF_FORMAT,
            }  # fmt: skip
            data = entry_bytes(values)
            leaf = leaf_hash(data)
            nodes += [{"level": lv, "idx": i, "hash": h.hex()} for lv, i, h in frontier.append(leaf)]
            rows.append(values | {"leaf_hash": leaf.hex(), "mac": mac.of(data)})
        db.session.execute(insert(LogEntry), rows)
        if nodes:
            db.session.execute(insert(LogNode), nodes)
        db.session.commit()
        done = lo + len(rows)
        rate = done / (time.perf_counter() - start)
        print(f"\r  built {done:>9,} of {size:,} entries ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    head = db.session.get(LogHead, 1)
    assert head is not None
    head.size, head.frontier = frontier.size, [n.hex() for n in frontier.nodes]
    db.session.commit()


def median_ms(client: FlaskClient, urls: list[str]) -> float:
    times: list[float] = []
    for url in urls:
        address = f"10.0.{len(times) // 256}.{len(times) % 256}"  # the proof endpoints' limit is per address
        began = time.perf_counter()
        response = client.get(url, environ_base={"REMOTE_ADDR": address})
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return statistics.median(times) * 1000


def measure(size: int) -> tuple[float, float]:
    from registry import create_app
    from registry.accesslog import init_log
    from registry.models import db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(registry_settings(Path(tmp), "log.sqlite3"))
        with app.app_context():
            db.create_all()
            init_log(db.session)
            db.session.commit()
            build_log(size)
        rng = random.Random(size)
        inclusion = []
        consistency = []
        for _ in range(PROOFS):
            tree = rng.randint(size // 2, size)
            inclusion.append(f"/api/v1/log/proof/inclusion?index={rng.randrange(tree)}&size={tree}")
            old = rng.randint(1, tree)
            consistency.append(f"/api/v1/log/proof/consistency?old={old}&new={tree}")
        client = app.test_client()
        return median_ms(client, inclusion), median_ms(client, consistency)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:3]] if len(sys.argv) > 2 else [10_000, 1_000_000]
    results = {size: measure(size) for size in sizes}
    print(f"log proofs (median of {PROOFS}, ms, through the Flask test client, SQLite):")
    for size, (inclusion, consistency) in results.items():
        print(f"  {size:>9,} entries: inclusion {inclusion:6.2f} ms   consistency {consistency:6.2f} ms")
    small, large = results[sizes[0]], results[sizes[-1]]
    ratio = f"inclusion {large[0] / small[0]:.2f}x, consistency {large[1] / small[1]:.2f}x"
    print(f"  {sizes[-1]:,} entries against {sizes[0]:,}: {ratio}")


if __name__ == "__main__":
    main()

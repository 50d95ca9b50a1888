"""Archival packages exported per second, and checked per second, with the ceilings of the same run.

The registry holds N certificates of a type its service item files. `flask archive export` work, through
the Exporter: per certificate a printable rendition (reportlab) sealed by the department (PAdES, with the
registry's own TSA: B-LTA), its log entries with inclusion proofs, metadata, a BagIt bag with SHA-256 and
SHA-512 manifests written aside and renamed, the filing row and its log entry, a flush to disk per batch.
Measured cold (the renditions are made during the export) and warm (holders fetched them before).
Beside them: rendering alone, sealing alone, bagging alone. Then `certverify archive check` over the
packages (when verifiers.archive exists).
`python -m bench.archive [N]`; SQLite.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:9,.1f} /s"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    from bench.common import business_licences, registry_settings
    from issuers.rendition import render
    from registry import create_app
    from registry.accesslog import init_log
    from registry.archive.package import PackageContents, write_package
    from registry.models import Certificate, Department, ServiceItem, db
    from registry.principals import OPERATOR, Principal
    from registry.stamps import PDF, StampRequest
    from registry.wiring import services
    from tests.factories import make_department, make_type

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        app = create_app(registry_settings(workdir, "archive.sqlite3"))
        figures: dict[str, str] = {}
        with app.app_context():
            db.create_all()
            init_log(db.session)
            svc = services()
            svc.keys.create(None, actor=OPERATOR)
            department = make_department("市场监督管理局")
            svc.keys.create(department, actor=OPERATOR)
            ctype = make_type([department])
            for code in ("ENT-1", "ENT-2"):  # one item per round: cold, then warm
                db.session.add(
                    ServiceItem(
                        code=code,
                        name="企业设立登记",
                        department_id=department.id,
                        filing_types=[],
                        retention_years=30,
                        archive_category="WS.XK",
                    )
                )
            issuer = Principal(role="issuer", client_id="bench", department_id=department.id)
            db.session.commit()
            requests = business_licences(ctype.code, 100)
            for _ in range(0, 2 * n, 100):
                services().certificates.issue(db.session.get_one(Department, department.id), requests, actor=issuer)
                db.session.commit()
            ids = list(db.session.scalars(db.select(Certificate.id).order_by(Certificate.id)))

            def file_type_under(code: str) -> None:
                for item in db.session.scalars(db.select(ServiceItem)):
                    item.filing_types = [ctype.code] if item.code == code else []
                db.session.commit()

            # Cold: the first n certificates, renditions made during the export.
            file_type_under("ENT-1")
            out = workdir / "archive"
            start = time.perf_counter()
            report = services().exporter().run(out, actor=OPERATOR, limit=n)
            figures["export, renditions made on the way (cold)"] = rate(report.filed, time.perf_counter() - start)

            # Warm: the other n, their renditions made beforehand (as when holders have printed them).
            warm = ids[n:]
            start = time.perf_counter()
            for cid in warm:
                services().renditions.sealed(db.session.get_one(Certificate, cid))
            db.session.commit()
            figures["making a sealed rendition alone (render + PAdES B-LTA)"] = rate(
                len(warm), time.perf_counter() - start
            )
            file_type_under("ENT-2")
            start = time.perf_counter()
            report = services().exporter().run(out, actor=OPERATOR)
            figures["export, renditions made before (warm)"] = rate(report.filed, time.perf_counter() - start)

            # Ceilings: rendering alone, sealing alone, bagging alone.
            certificate = db.session.get_one(Certificate, ids[0])
            rendition = services().renditions.rendition_of(certificate)
            start = time.perf_counter()
            for _ in range(n):
                rendered = render(rendition)
            figures["rendering a rendition alone (reportlab)"] = rate(n, time.perf_counter() - start)
            dept = db.session.get_one(Department, department.id)
            start = time.perf_counter()
            for _ in range(min(n, 50)):
                request = StampRequest(PDF, "r.pdf", data=rendered.pdf, placement=rendered.seal_box)
                services().stamps.stamp(dept, request, actor=OPERATOR)
            figures["sealing a rendition alone (PAdES B-LTA)"] = rate(min(n, 50), time.perf_counter() - start)
            db.session.rollback()
            sample = next(out.glob("*/*/bagit.txt")).parent
            files = {
                str(p.relative_to(sample / "data")): p.read_bytes() for p in (sample / "data").rglob("*") if p.is_file()
            }
            scratch = workdir / "scratch"
            start = time.perf_counter()
            for i in range(n):
                write_package(PackageContents(f"p{i}", "s", i + 1, None, {}, files), scratch)
            figures["bagging a package alone (bagit, 2 manifests, aside + rename)"] = rate(
                n, time.perf_counter() - start
            )
            shutil.rmtree(scratch)
            db.engine.dispose()

        packages = sorted(p.parent for p in out.glob("*/*/bagit.txt"))
        try:
            from verifiers.archive import check_paths
        except ImportError:
            check_paths = None
        if check_paths is not None:
            start = time.perf_counter()
            result = check_paths([out])
            seconds = time.perf_counter() - start
            figures[f"certverify archive check ({'all passed' if result.passed else 'FAILED'})"] = rate(
                len(packages), seconds
            )

    print(f"archival packages, SQLite, {n} certificates per export, one run")
    for name, figure in figures.items():
        print(f"  {name:66} {figure}")


if __name__ == "__main__":
    main()

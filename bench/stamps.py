"""Stamped PDFs per second through the service layer, for a 1-page and a 50-page PDF.

Each stamp is what `POST /api/v1/stamps` does after reading the upload: parse the PDF, check the
placement, draw the visible stamp (seal picture, QR code, text), sign (PAdES, ES256) as an
incremental update, record the stamp and its access-log entry, commit. Next to them, in the same run:
a detached stamp (hash, JWS, record, log) and the ES256 signature alone.
`python -m bench.stamps [N]`; SQLite; each figure is the median of 3 rounds.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.common import ROUNDS, median_rate, registry_settings


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    from registry import create_app
    from registry.accesslog import init_log
    from registry.models import Department, db
    from registry.principals import OPERATOR, Principal
    from registry.stamps import DETACHED, PDF, StampRequest
    from registry.wiring import services
    from tests.factories import make_department, pdf_document

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        app = create_app(registry_settings(workdir, "stamps.sqlite3"))
        documents = {pages: pdf_document(pages) for pages in (1, 50)}
        with app.app_context():
            db.create_all()
            init_log(db.session)
            svc = services()
            svc.keys.create(None, actor=OPERATOR)
            department = make_department("审批部门")
            svc.keys.create(department, actor=OPERATOR)
            db.session.commit()
            department_id = department.id
            actor = Principal(role="issuer", client_id="bench", department_id=department_id)

            def stamping(request: StampRequest) -> Callable[[int], None]:
                def run(count: int) -> None:
                    for _ in range(count):
                        db.session.expunge_all()  # as a request does: an empty session
                        dept = db.session.get_one(Department, department_id)
                        services().stamps.stamp(dept, request, actor=actor)
                        db.session.commit()

                return run

            rates = {}
            for pages, data in documents.items():
                request = StampRequest(PDF, f"decision-{pages}.pdf", data=data)
                stamping(request)(2)  # warm-up: keys, the seal's chain, fonts
                rates[pages] = median_rate(n, stamping(request))
            detached = StampRequest(DETACHED, "contract.docx", sha256=hashlib.sha256(b"contract").hexdigest())
            stamping(detached)(5)
            detached_rate = median_rate(n * 10, stamping(detached))
            signer = svc.keys.signing_key(svc.catalog.get_department(department.credit_code))
            sign_rate = median_rate(n * 100, lambda count: [signer.sign(b"x" * 64) for _ in range(count)] and None)
            db.engine.dispose()

    print(f"stamping through the service layer, SQLite, one transaction each, median of {ROUNDS} rounds")
    for pages, rate in rates.items():
        size = len(documents[pages]) / 1024
        print(f"  PDF of {pages:2} page(s) ({size:5.1f} KiB): visible stamp + QR + PAdES      {rate:9,.1f} /s")
    print(f"  detached stamp of a SHA-256 (JWS, record, log)                   {detached_rate:9,.1f} /s")
    print(f"  the ES256 signature alone                                        {sign_rate:9,.0f} /s")


if __name__ == "__main__":
    main()

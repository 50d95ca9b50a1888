"""The department's console (/console/): its staff sign in with named accounts (registry.web.staff), issue
certificates through a form made from the type's fields, search and read their department's certificates
with their versions and history, suspend, reinstate, revoke and amend them with a reason, stamp PDFs, and
see their department's figures. Pages only: every change goes through the same services as the API, as
the staff member (`staff:<username>` in the access log)."""

from registry.web.console import certificates, stamping, statistics  # noqa: F401 (they add the routes)
from registry.web.console.blueprint import bp

__all__ = ["bp"]

"""Schemathesis hooks: the formats the OpenAPI description names but JSON Schema cannot check.

Codes carry check characters (GB 32100, GB 11643, ISO 7064 MOD 37,36), so a pattern alone lets a fuzzer
make mostly invalid ones; these strategies make valid ones, so that "a schema-valid request is accepted"
is a fair check. Loaded by tests/contract/run.py through SCHEMATHESIS_HOOKS.
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from issuers.tsa import QUERY_TYPE, request_for
from verifiers.codes import citizen_id_check, credit_code_check
from verifiers.identifiers import CertificateId

CREDIT = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# The demo world's codes (registry/demo.py), so that some requests name things that exist.
DEMO_DEPARTMENTS = ["11310000002418230T", "11310000MB2F05123H", "113100000024238565"]
DEMO_TYPES = ["11310000002418230T001", "11310000MB2F05123H001"]


def _credit_code(body: str) -> str:
    return body + credit_code_check(body)


credit_codes = st.one_of(
    st.sampled_from(DEMO_DEPARTMENTS),
    st.builds(
        lambda a, b, c: _credit_code(a + b + c),
        st.text(CREDIT, min_size=2, max_size=2),
        st.text("0123456789", min_size=6, max_size=6),
        st.text(CREDIT, min_size=9, max_size=9),
    ),
)
type_codes = st.one_of(
    st.sampled_from(DEMO_TYPES), st.builds(lambda c, n: f"{c}{n:03d}", credit_codes, st.integers(0, 999))
)
identifiers = st.builds(
    lambda t, u, s, v: str(CertificateId(t, u, s, v)),
    type_codes,
    credit_codes,
    st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=32),
    st.integers(1, 999),
)
resident_ids = st.builds(
    lambda area, y, m, d, seq: (body := f"{area}{y}{m:02d}{d:02d}{seq:03d}") + citizen_id_check(body),
    st.sampled_from(["110105", "310101", "440305"]),
    st.integers(1930, 2010),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 999),
)

schemathesis.openapi.format("credit-code", credit_codes)
schemathesis.openapi.format("type-code", type_codes)
schemathesis.openapi.format("e-license-identifier", identifiers)
schemathesis.openapi.format("holder-document-number", resident_ids)


# RFC 3161 requests for the time-stamping authority: DER TimeStampReqs for hashes of random data.
schemathesis.openapi.media_type(QUERY_TYPE, st.binary(max_size=64).map(lambda data: request_for(data)[0]))

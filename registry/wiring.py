"""Wiring: builds the domain services for the current app and request from its config and keystore."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from flask import current_app, g
from sqlalchemy.orm import Session

from issuers.keystore import Keystore
from issuers.tsa import http_reply, timestamp_with
from registry.accesslog import AccessLog, checkpoint_document
from registry.archive.documents import DocumentService
from registry.archive.export import Evidence, Exporter
from registry.archive.records import FilingScope
from registry.archive.renditions import RenditionService
from registry.archive.retention import RetentionService
from registry.archive.stats import FilingStatistics
from registry.archive.store import DocumentStore
from registry.catalog import CatalogService
from registry.certificates import CertificateService
from registry.clients import ClientService
from registry.dev_idp import DevIdentityProvider
from registry.keys import KeyService
from registry.lifecycle import LifecycleService
from registry.models import db
from registry.serviceitems import ServiceItemService
from registry.sharing.consents import ConsentService
from registry.sharing.grants import GrantService
from registry.sharing.policies import PolicyService
from registry.sharing.statistics import SharingStatistics
from registry.staff import StaffService
from registry.stamps import StampService
from registry.statuslists import StatusListPublisher
from registry.tokens import AccessTokens, IdentityProviderTrust
from registry.verification import VerificationService
from registry.witnesses import Cosignatures, parse_witnesses


@dataclass
class Runtime:
    """What lives as long as the app: the keystore with its loaded keys, the trusted identity provider."""

    keystore: Keystore
    idp_trust: IdentityProviderTrust
    status_lists: StatusListPublisher


class Services:
    """The services of one request or command, sharing one session and so one transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.config = current_app.config
        self.runtime: Runtime = current_app.extensions["registry"]

    @cached_property
    def keys(self) -> KeyService:
        return KeyService(self.session, self.runtime.keystore, f"{self.config['REGISTRY_ISSUER']}/api/v1/ca.crl")

    @cached_property
    def access_log(self) -> AccessLog:
        return AccessLog(self.session)

    @cached_property
    def catalog(self) -> CatalogService:
        return CatalogService(self.session)

    def checkpoint(self, size: int | None = None) -> dict[str, Any]:
        """The access log's checkpoint as it is now (signed, time-stamped and stored if new), or the one
        stored for `size`, with the witnesses' cosignatures of it."""
        if size is None:
            checkpoint = self.access_log.checkpoint(self.keys.signing_key(None), self.log_origin, self.timestamp)
        else:
            checkpoint = self.access_log.stored_checkpoint(size)
        return checkpoint_document(checkpoint, self.log_origin) | {
            "cosignatures": self.cosignatures.of(checkpoint.size)
        }

    @cached_property
    def cosignatures(self) -> Cosignatures:
        return Cosignatures(self.session, self.log_origin, parse_witnesses(self.config["REGISTRY_WITNESSES"]))

    def tsa_reply(self, request_der: bytes) -> bytes:
        """The reply (DER) to an RFC 3161 request: from REGISTRY_TSA_URL, or from the registry's own TSA."""
        url = self.config["REGISTRY_TSA_URL"]
        if url:
            return http_reply(url, request_der)
        return self.keys.certs.authority(self.config["REGISTRY_TSA_POLICY"]).respond(request_der)

    def timestamp(self, data: bytes) -> bytes:
        """An RFC 3161 token for `data`: from REGISTRY_TSA_URL, or from the registry's own TSA."""
        return timestamp_with(self.tsa_reply, data)

    @cached_property
    def clients(self) -> ClientService:
        return ClientService(self.session)

    @cached_property
    def access_tokens(self) -> AccessTokens:
        return AccessTokens(
            self.session, self.keys, self.config["REGISTRY_ISSUER"], self.config["REGISTRY_ACCESS_TOKEN_TTL"]
        )

    @cached_property
    def certificates(self) -> CertificateService:
        return CertificateService(
            self.session,
            self.keys,
            holder_key=self.config["REGISTRY_HOLDER_KEY"],
            issuer=self.config["REGISTRY_ISSUER"],
        )

    @cached_property
    def verification(self) -> VerificationService:
        return VerificationService(self.session, self.keys, self.runtime.status_lists, self.config["REGISTRY_ISSUER"])

    @cached_property
    def service_items(self) -> ServiceItemService:
        return ServiceItemService(self.session)

    @cached_property
    def policies(self) -> PolicyService:
        return PolicyService(self.session, self.catalog)

    @cached_property
    def consents(self) -> ConsentService:
        return ConsentService(self.session, self.catalog, self.policies)

    @cached_property
    def grants(self) -> GrantService:
        return GrantService(
            self.session,
            self.keys,
            self.consents,
            holder_key=self.config["REGISTRY_HOLDER_KEY"],
            issuer=self.config["REGISTRY_ISSUER"],
        )

    @cached_property
    def sharing_statistics(self) -> SharingStatistics:
        return SharingStatistics(self.session)

    @cached_property
    def stamps(self) -> StampService:
        return StampService(
            self.session, self.keys, self.verification, self.config["REGISTRY_ISSUER"], tsa_reply=self.tsa_reply
        )

    @cached_property
    def staff(self) -> StaffService:
        return StaffService(self.session)

    @cached_property
    def document_store(self) -> DocumentStore:
        return DocumentStore(Path(self.config["REGISTRY_DOCUMENT_STORE"]))

    @cached_property
    def documents(self) -> DocumentService:
        return DocumentService(self.session, self.document_store, self.stamps)

    @cached_property
    def renditions(self) -> RenditionService:
        return RenditionService(self.session, self.document_store, self.stamps, self.config["REGISTRY_ISSUER"])

    @cached_property
    def retention(self) -> RetentionService:
        return RetentionService(self.session, self.document_store)

    @cached_property
    def filing_scope(self) -> FilingScope:
        return FilingScope(self.session)

    @cached_property
    def filing_statistics(self) -> FilingStatistics:
        return FilingStatistics(self.session)

    def exporter(self) -> Exporter:
        return Exporter(
            self.session,
            certs=self.keys.certs,
            store=self.document_store,
            rendition=self.renditions.sealed,
            evidence=self.archive_evidence,
        )

    def archive_evidence(self) -> Evidence:
        """What an export's packages carry to be checked offline: the bundle, the CA, its CRL, a checkpoint."""
        certs = self.keys.certs
        return Evidence(
            bundle=self.verification.bundle(),
            ca_pem=certs.root().public_bytes(Encoding.PEM),
            crl_der=certs.crl().public_bytes(Encoding.DER),
            checkpoint=self.checkpoint(),
            origin=self.log_origin,
        )

    @cached_property
    def lifecycle(self) -> LifecycleService:
        return LifecycleService(self.session, self.certificates)

    @property
    def log_origin(self) -> str:
        """The name the access log's checkpoints carry."""
        return f"{self.config['REGISTRY_ISSUER']}/log"

    def own_jwks(self) -> dict[str, Any]:
        """The published keys whose private halves are in this registry's keystore.

        A row slipped into the database cannot add a key here, so checks of the registry's own
        signatures (checkpoints) use these rather than whatever the seals table says.
        """
        keys = self.keys.jwks()["keys"]
        return {"keys": [k for k in keys if self.runtime.keystore.has(k["kid"])]}

    @property
    def idp_trust(self) -> IdentityProviderTrust:
        return self.runtime.idp_trust

    def dev_idp(self) -> DevIdentityProvider:
        return DevIdentityProvider(
            self.runtime.keystore,
            Path(self.config["REGISTRY_IDP_JWKS"]),
            self.config["REGISTRY_IDP_ISSUER"],
            self.config["REGISTRY_IDP_AUDIENCE"],
        )


def services() -> Services:
    """The services of the current request (or CLI command), made once per app context."""
    if "services" not in g:
        g.services = Services(db.session())
    made: Services = g.services
    return made

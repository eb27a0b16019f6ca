"""Faults of the sandbox's LTI 1.3 tool: each breaks one requirement of lti-1.3-tool (registered in FAULT_MODULES)."""
from __future__ import annotations

from edcert.sandbox.faults import Fault

STANDARD = "lti-1.3-tool"

_NEG = "LTIT-NEG-"
# Every negative launch whose token edcert signs correctly with its real key: a tool that stops checking
# once the signature verifies accepts them all.
_SIGNED_NEGATIVES = tuple(f"{_NEG}{n:03d}" for n in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 20, 24))

FAULTS: tuple[Fault, ...] = (
    # third-party initiated login and the authentication request
    Fault("lti-tool.login.get-unsupported", STANDARD,
          "The login initiation URL answers 405 to a GET (only the form POST works).", ("LTIT-LOGIN-001",)),
    Fault("lti-tool.login.post-unsupported", STANDARD,
          "The login initiation URL answers 405 to a form POST (only GET works).", ("LTIT-LOGIN-002",)),
    Fault("lti-tool.login.response-mode-missing", STANDARD,
          "The authentication request omits response_mode=form_post.", ("LTIT-LOGIN-003",)),
    Fault("lti-tool.login.unregistered-redirect-uri", STANDARD,
          "The authentication request names a redirect_uri that is not registered.", ("LTIT-LOGIN-004",)),
    Fault("lti-tool.login.message-hint-dropped", STANDARD,
          "The authentication request does not carry the lti_message_hint back.", ("LTIT-LOGIN-005",)),
    Fault("lti-tool.login.fixed-nonce", STANDARD,
          "Every authentication request carries the same nonce.", ("LTIT-LOGIN-006",)),
    # positive launches
    Fault("lti-tool.launch.requires-email", STANDARD,
          "Launches that name the user but carry no email are refused (the names-only launches fail).",
          ("LTIT-LAUNCH-001", "LTIT-LAUNCH-002")),
    Fault("lti-tool.launch.learner-requires-context", STANDARD,
          "Learner launches without a context claim are refused.", ("LTIT-LAUNCH-002",)),
    # negative launches: each skips one validation step of the id_token
    Fault("lti-tool.launch.kid-optional", STANDARD,
          "An id_token without kid is checked against every platform key instead of being refused.",
          (f"{_NEG}001",)),
    Fault("lti-tool.launch.unknown-kid-tries-all-keys", STANDARD,
          "An id_token whose kid is not in the platform JWKS is checked against every key instead.", (f"{_NEG}002",)),
    Fault("lti-tool.launch.version-not-checked", STANDARD,
          "The LTI version claim is not checked (wrong or missing version accepted).", (f"{_NEG}003", f"{_NEG}004")),
    Fault("lti-tool.launch.claims-trusted-after-signature", STANDARD,
          "Once the signature verifies, the launch is shown whatever the claims say.", _SIGNED_NEGATIVES),
    Fault("lti-tool.launch.expired-accepted", STANDARD,
          "An id_token past its exp is accepted.", (f"{_NEG}007",)),
    Fault("lti-tool.launch.message-type-not-checked", STANDARD,
          "A launch without message_type is handled as a resource link launch.", (f"{_NEG}008",)),
    Fault("lti-tool.launch.roles-not-required", STANDARD,
          "A launch without the roles claim is accepted.", (f"{_NEG}009",)),
    Fault("lti-tool.launch.deployment-not-checked", STANDARD,
          "The deployment_id claim is neither required nor compared with the registered deployments.",
          (f"{_NEG}010", f"{_NEG}015")),
    Fault("lti-tool.launch.resource-link-not-required", STANDARD,
          "A resource link launch without the resource_link claim is accepted.", (f"{_NEG}011",)),
    Fault("lti-tool.launch.empty-sub-accepted", STANDARD,
          "A launch whose sub is the empty string is accepted.", (f"{_NEG}012",)),
    Fault("lti-tool.launch.signature-not-verified", STANDARD,
          "The id_token's signature is not verified (a known kid is enough).", (f"{_NEG}013",)),
    Fault("lti-tool.launch.alg-none-accepted", STANDARD,
          "An unsigned id_token (alg none) is accepted.", (f"{_NEG}014",)),
    Fault("lti-tool.launch.aud-not-checked", STANDARD,
          "The aud claim is not compared with the tool's client_id.", (f"{_NEG}016",)),
    Fault("lti-tool.launch.iss-not-checked", STANDARD,
          "The iss claim is not compared with the platform the login came from.", (f"{_NEG}017",)),
    Fault("lti-tool.launch.azp-not-checked", STANDARD,
          "With several audiences, azp is not required to be the tool's client_id.", (f"{_NEG}018",)),
    Fault("lti-tool.launch.nonce-not-checked", STANDARD,
          "The nonce is neither required nor compared with the one the login issued.", (f"{_NEG}019", f"{_NEG}020")),
    Fault("lti-tool.launch.replay-accepted", STANDARD,
          "A login's state and nonce stay valid after its launch: the same id_token can be posted again.",
          (f"{_NEG}021",)),
    Fault("lti-tool.launch.state-not-checked", STANDARD,
          "The posted state is not compared with the browser's state cookie (a missing cookie is accepted too).",
          (f"{_NEG}022", f"{_NEG}023")),
    Fault("lti-tool.launch.future-iat-accepted", STANDARD,
          "An id_token issued an hour in the future is accepted.", (f"{_NEG}024",)),
    # the tool's JWKS
    Fault("lti-tool.jwks.missing-kid", STANDARD,
          "The tool's JWKS publishes its key without a kid.", ("LTIT-JWKS-001",)),
    Fault("lti-tool.jwks.private-parts", STANDARD,
          "The tool's JWKS publishes the private members (d, p, q...) of its key.", ("LTIT-JWKS-002",)),
    # Deep Linking
    Fault("lti-tool.dl.no-auto-submit-form", STANDARD,
          "The Deep Linking response is a link to click, not an auto-submitting form.",
          tuple(f"LTIT-DL-{n:03d}" for n in range(1, 7))),
    Fault("lti-tool.dl.signed-with-unpublished-key", STANDARD,
          "The Deep Linking response is signed with a key the tool's JWKS does not publish (same kid).",
          ("LTIT-DL-002",)),
    Fault("lti-tool.dl.iss-is-platform", STANDARD,
          "The Deep Linking response's iss is the platform's issuer instead of the tool's client_id.",
          ("LTIT-DL-003",)),
    Fault("lti-tool.dl.data-not-echoed", STANDARD,
          "The Deep Linking response does not carry the request's data back.", ("LTIT-DL-004",)),
    Fault("lti-tool.dl.link-without-url", STANDARD,
          "The Deep Linking response's link content item has no url.", ("LTIT-DL-005",)),
    Fault("lti-tool.dl.ignores-accept-multiple", STANDARD,
          "The Deep Linking response returns two content items when accept_multiple is false.", ("LTIT-DL-006",)),
)

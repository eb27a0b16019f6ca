"""What the platform checks read beyond the shared LTI names of :mod:`edcert.lti.claims`.

Claim keys, scopes, media types and role URIs are spelled once, in ``edcert.lti.claims`` (a neutral module:
the checks still talk to the sandbox over HTTP only).
"""
from __future__ import annotations

from edcert.lti.claims import (
    AGS_CLAIM,
    CLIENT_ASSERTION_TYPE,
    CONTEXT,
    CUSTOM,
    DEEP_LINKING_REQUEST,
    DEEP_LINKING_RESPONSE,
    DEPLOYMENT_ID,
    DL_CONTENT_ITEMS,
    DL_DATA,
    DL_SETTINGS,
    LIS,
    LTI_VERSION,
    MEDIA_LINEITEM,
    MEDIA_LINEITEMS,
    MEDIA_MEMBERSHIPS,
    MEDIA_RESULTS,
    MEDIA_SCORE,
    MESSAGE_TYPE,
    NRPS_CLAIM,
    RESOURCE_LINK,
    RESOURCE_LINK_REQUEST,
    ROLE_INSTRUCTOR,
    ROLE_LEARNER,
    ROLES,
    SCOPE_LINEITEM,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    TARGET_LINK_URI,
    VERSION,
)

__all__ = [
    "AGS_CLAIM", "CLIENT_ASSERTION_TYPE", "CONTEXT", "CORE", "CUSTOM", "DEEP_LINKING_REQUEST", "DEEP_LINKING_RESPONSE",
    "DEPLOYMENT_ID",
    "DL", "DL_CONTENT_ITEMS", "DL_DATA", "DL_SETTINGS", "LIS", "LTI_VERSION", "MEDIA_LINEITEM", "MEDIA_LINEITEMS",
    "MEDIA_MEMBERSHIPS",
    "MEDIA_RESULTS", "MEDIA_SCORE", "MESSAGE_TYPE", "NRPS_CLAIM", "PII_CLAIMS", "RESOURCE_LINK",
    "RESOURCE_LINK_REQUEST", "ROLES", "ROLE_INSTRUCTOR", "ROLE_LEARNER", "SCOPE_LINEITEM", "SCOPE_NRPS",
    "SCOPE_RESULT_READONLY", "SCOPE_SCORE", "SEC", "STANDARD", "TARGET_LINK_URI", "VERSION",
]

STANDARD = "lti-1.3-platform"
PII_CLAIMS = ("name", "given_name", "family_name", "middle_name", "email", "picture", LIS)
CORE = "LTI Core 1.3"
SEC = "1EdTech Security Framework 1.0"
DL = "LTI Deep Linking 2.0"

"""LTI 1.3 Core, Deep Linking 2.0, NRPS 2.0 and AGS 2.0 names, spelled once.

Claim keys are compared exactly (a trailing space or a wrong case is another claim), so every piece of
edcert that reads or writes an LTI message takes its names from here.
"""
from __future__ import annotations

LTI_VERSION = "1.3.0"

_LTI = "https://purl.imsglobal.org/spec/lti/claim/"
_DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"

# LTI Core 1.3 §5.3-5.4
MESSAGE_TYPE = _LTI + "message_type"
VERSION = _LTI + "version"
DEPLOYMENT_ID = _LTI + "deployment_id"
TARGET_LINK_URI = _LTI + "target_link_uri"
RESOURCE_LINK = _LTI + "resource_link"
ROLES = _LTI + "roles"
CONTEXT = _LTI + "context"
TOOL_PLATFORM = _LTI + "tool_platform"
LAUNCH_PRESENTATION = _LTI + "launch_presentation"
CUSTOM = _LTI + "custom"
LIS = _LTI + "lis"
ROLE_SCOPE_MENTOR = _LTI + "role_scope_mentor"

# Deep Linking 2.0 §4.4-4.5
DL_SETTINGS = _DL + "deep_linking_settings"
DL_CONTENT_ITEMS = _DL + "content_items"
DL_DATA = _DL + "data"
DL_MSG = _DL + "msg"
DL_LOG = _DL + "log"
DL_ERRORMSG = _DL + "errormsg"
DL_ERRORLOG = _DL + "errorlog"

# Services
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"

# Message types
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)

# OIDC third-party initiated login (Security Framework §5.1.1) and authentication request fixed values
AUTH_FIXED = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none"}

# Deep Linking content item types (DL §3) and the field each requires
CONTENT_ITEM_REQUIRED: dict[str, tuple[str, ...]] = {
    "link": ("url",),
    "ltiResourceLink": (),
    "file": ("url",),
    "html": ("html",),
    "image": ("url",),
}

# Scopes (LTI Advantage services)
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

# Media types
MEDIA_MEMBERSHIPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MEDIA_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MEDIA_LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MEDIA_SCORE = "application/vnd.ims.lis.v1.score+json"
MEDIA_RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# Role vocabularies (LTI Core §A.2)
ROLE_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
ROLE_LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ROLE_STAFF = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Staff"
ROLE_STUDENT = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"
ROLE_OTHER = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Other"
ROLE_UNKNOWN = "http://purl.imsglobal.org/vocab/unknown/unknown#Helper"
CONTEXT_COURSE = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

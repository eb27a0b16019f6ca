"""Faults of the sandbox LTI 1.3 platform: each breaks one requirement a check of lti-1.3-platform enforces."""
from __future__ import annotations

from edcert.sandbox.faults import Fault

_STD = "lti-1.3-platform"
_P = "lti-platform."

FAULTS: tuple[Fault, ...] = tuple(Fault(name=_P + name, standard=_STD, sentence=sentence, trips=trips) for
                                  name, sentence, trips in (
    ("login.iss-trailing-slash", "Login initiation sends iss with a trailing slash, not the platform's issuer.",
     ("LTIP-LOGIN-001",)),
    ("login.deployment-mismatch", "Login initiation names another lti_deployment_id than the id_token's "
     "deployment_id.", ("LTIP-IDT-006",)),
    ("auth.redirects-unregistered", "The auth endpoint redirects an error to an unregistered redirect_uri.",
     ("LTIP-AUTH-001",)),
    ("auth.ignores-nonce", "The auth endpoint issues an id_token when the request carries no nonce.",
     ("LTIP-AUTH-002",)),
    ("auth.any-response-type", "The auth endpoint issues an id_token whatever response_type asks for.",
     ("LTIP-AUTH-003",)),
    ("auth.unknown-client-accepted", "The auth endpoint issues an id_token to an unknown client_id.",
     ("LTIP-AUTH-004",)),
    # the JWKS publishes the key for RS256, so an RS384 signature does not verify with it either; the Deep
    # Linking request and the deep-linked activity's launch (LTIP-DL-001, -004) are signed the same way
    ("idt.rs384", "id_tokens are signed with RS384 instead of RS256.",
     ("LTIP-IDT-001", "LTIP-IDT-002", "LTIP-DL-001", "LTIP-DL-004")),
    ("idt.foreign-key", "id_tokens are signed with a key that is not in the platform JWKS (same kid).",
     ("LTIP-IDT-002", "LTIP-DL-001", "LTIP-DL-004")),
    # the three payloads other than the full student launch (1EdTech Certification Guide §5.1)
    ("idt.instructor-foreign-key", "Instructor resource link launches (the student's are fine) are signed with a key "
     "that is not in the platform JWKS.", ("LTIP-IDT-002",)),
    ("idt.instructor-no-pii-expired", "The instructor's launch without personal data is issued already expired.",
     ("LTIP-IDT-004",)),
    ("idt.student-no-pii-padded", "The student's launch without personal data pads string claims with whitespace.",
     ("LTIP-IDT-009",)),
    # every resource link launch lacks it: the payload-variant and deep-linked launch checks see it too
    ("idt.no-resource-link", "id_tokens lack the resource_link claim.",
     ("LTIP-IDT-003", "LTIP-IDT-011", "LTIP-DL-004", "LTIP-DL-005")),
    ("idt.expired", "id_tokens are issued already expired (exp an hour ago).", ("LTIP-IDT-004",)),
    ("idt.wrong-nonce", "id_tokens carry a nonce of the platform's own instead of the tool's.",
     ("LTIP-IDT-005",)),
    # the instructor's payloads only: the full student launch (the first one read) is clean
    ("idt.instructor-wrong-nonce", "The instructor's launches carry a nonce of the platform's own.",
     ("LTIP-IDT-005",)),
    ("idt.target-link-mismatch", "The id_token's target_link_uri differs from the login initiation's (the "
     "deep-linked activity's launch too).", ("LTIP-IDT-007", "LTIP-DL-004")),
    ("idt.roles-string", "The roles claim is one space-separated string instead of an array.",
     ("LTIP-IDT-008", "LTIP-IDT-011")),
    ("idt.padded-whitespace", "String claims carry trailing whitespace.", ("LTIP-IDT-009",)),
    ("idt.pii-in-anonymous", "The no-PII launch still carries the user's name and email.", ("LTIP-IDT-010",)),
    ("idt.student-pii-in-anonymous", "The student's no-PII launch still carries the student's name and email "
     "(the instructor's does not).", ("LTIP-IDT-010",)),
    ("idt.wrong-user-email", "The student's launch carries another member's email.", ("LTIP-IDT-012",)),
    ("idt.instructor-as-learner", "The instructor's full launch names the instructor a Learner.",
     ("LTIP-IDT-011",)),
    ("dl.no-settings", "The Deep Linking request's settings lack accept_presentation_document_targets.",
     ("LTIP-DL-001",)),
    # a refused response creates no link: the deep-linked activity cannot be launched either
    ("dl.rejects-response", "The Deep Linking return URL refuses a valid response (it wants aud to be the token "
     "URL).", ("LTIP-DL-002", "LTIP-DL-004", "LTIP-DL-005")),
    ("dl.link-loses-item", "The resource link created from a Deep Linking item launches without the item's url "
     "and custom parameters.", ("LTIP-DL-004",)),
    ("dl.link-drops-title", "The deep-linked resource link launches with the course's default title, not the "
     "item's.", ("LTIP-DL-005",)),
    ("dl.response-signature-unchecked", "The Deep Linking return URL does not verify the response's signature.",
     ("LTIP-DL-003",)),
    ("token.no-expires-in", "The token response carries no expires_in.", ("LTIP-TOK-001",)),
    ("token.bad-signature-accepted", "Client assertions are not signature-checked.", ("LTIP-TOK-002",)),
    ("token.500-on-bad-signature", "A client assertion with a bad signature is answered 500.", ("LTIP-TOK-002",)),
    ("token.ignores-aud", "The client assertion's aud is not checked.", ("LTIP-TOK-003",)),
    ("token.accepts-expired", "Expired client assertions are accepted.", ("LTIP-TOK-004",)),
    ("token.ignores-iss", "The client assertion's iss need not be the client_id.", ("LTIP-TOK-005",)),
    ("token.jti-optional", "Client assertions without jti are accepted.", ("LTIP-TOK-006",)),
    ("token.jti-replay", "A client assertion's jti may be used again.", ("LTIP-TOK-007",)),
    ("token.any-grant-type", "The token endpoint ignores grant_type.", ("LTIP-TOK-008",)),
    ("services.scope-not-enforced", "The line-item service accepts a token granted only the NRPS scope.",
     ("LTIP-TOK-009",)),
    ("nrps.json-content-type", "Memberships are labelled application/json instead of the NRPS media type.",
     ("LTIP-NRPS-001",)),
    ("nrps.member-no-roles", "Memberships list members without roles.", ("LTIP-NRPS-002",)),
    ("nrps.no-link-header", "A memberships page cut by limit carries no Link rel=\"next\".", ("LTIP-NRPS-003",)),
    ("nrps.differences-broken", "The memberships answer offers Link rel=\"differences\", but that URL answers 400.",
     ("LTIP-NRPS-004",)),
    ("ags.container-omits-created", "The line-item container omits line items the tool created.",
     ("LTIP-AGS-001",)),
    ("ags.results-show-first-score", "Results keep the first score posted, not the latest.", ("LTIP-AGS-002",)),
    ("ags.applies-older-score", "A score with an older timestamp replaces the newer one.", ("LTIP-AGS-003",)),
    ("ags.results-any-scope", "Results are served to a token without the result.readonly scope.",
     ("LTIP-AGS-004",)),
    ("ags.lineitems-leak-across-contexts", "Every course's line-item container lists the line items of all "
     "courses.", ("LTIP-AGS-006",)),
    ("ags.500-on-bad-input", "A line item with scoreMaximum 0 or a blank label is answered 500.",
     ("LTIP-AGS-005",)),
))

from __future__ import annotations

import json

from edcert.harness.evidence import MASKED, REDACTED, Recorder, Redactor


def test_secrets_always_redacted_even_with_full_evidence() -> None:
    r = Redactor("full", ("configured-secret-123",))
    body = json.dumps({"access_token": "tok-abc", "token_type": "Bearer", "note": "configured-secret-123"})
    out = r.text(body)
    assert "tok-abc" not in out and "configured-secret-123" not in out
    assert REDACTED in out
    assert r.text("grant_type=client_credentials&client_secret=xyz") == (
        "grant_type=client_credentials&client_secret=" + REDACTED)
    headers = r.headers({"Authorization": "Bearer tok-abc", "Cookie": "sid=1", "Accept": "application/json"})
    assert headers == {"Authorization": "Bearer " + REDACTED, "Cookie": REDACTED, "Accept": "application/json"}


def test_jwt_signature_and_private_keys_redacted() -> None:
    r = Redactor("full")
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    assert "c2lnbmF0dXJl" not in r.text(f"id_token={jwt}")
    pem = "-----BEGIN PRIVATE KEY-----\nMIIabc\n-----END PRIVATE KEY-----"
    assert "MIIabc" not in r.text(pem)


def test_student_data_masked_by_default_and_kept_when_full() -> None:
    record = {"sourcedId": "u1", "givenName": "Zorblat", "familyName": "Quenth", "email": "zq@example.edu",
              "birthDate": "2012-03-04", "role": "student"}
    masked = Redactor("masked").text(json.dumps(record))
    for value in ("Zorblat", "Quenth", "zq@example.edu", "2012-03-04"):
        assert value not in masked
    assert "u1" in masked and MASKED in masked
    assert "Zorblat" in Redactor("full").text(json.dumps(record))


def test_value_cut_off_at_the_end_of_an_excerpt_is_still_masked() -> None:
    raw = ('{"users": [' + '{"givenName": "Aaaa"},' * 400 + '{"givenName": "Zorblatty"}]}').encode()
    out = Redactor("masked").body(raw, limit=len(raw) // 2 - 3)
    assert "Aaaa" not in out and "Zorbl" not in out


def test_pii_in_filter_urls_masked() -> None:
    url = "https://v.example/users?filter=email%3D%27zq%40example.edu%27&limit=5"
    out = Redactor("masked").url(url)
    assert "zq" not in out and "limit=5" in out
    assert "access_token=" + REDACTED in Redactor("full").url("https://v.example/x?access_token=abc")


def test_recorder_collects_per_check() -> None:
    rec = Recorder(Redactor())
    with Recorder.collecting() as bucket:
        rec.record(method="GET", url="https://v.example/a", request_headers={}, request_body=None, status=200,
                   response_headers={}, response_body=b"{}", elapsed_ms=1.0)
    rec.record(method="GET", url="https://v.example/b", request_headers={}, request_body=None, status=200,
               response_headers={}, response_body=b"{}", elapsed_ms=1.0)
    assert [e.url for e in bucket] == ["https://v.example/a"]
    assert rec.count == 2


def test_repro_uses_placeholder_for_the_token() -> None:
    rec = Recorder(Redactor())
    ex = rec.record(method="GET", url="https://v.example/users?limit=1",
                    request_headers={"Authorization": "Bearer real-token", "Accept": "application/json"},
                    request_body=None, status=200, response_headers={}, response_body=b"{}", elapsed_ms=1.0)
    repro = ex.repro()
    assert "real-token" not in repro
    assert '"Authorization: Bearer $EDCERT_TOKEN"' in repro
    assert repro.startswith("curl ")


def test_repro_of_a_token_request_uses_client_credential_placeholders() -> None:
    rec = Recorder(Redactor())
    ex = rec.record(method="POST", url="https://v.example/oauth/token",
                    request_headers={"Authorization": "Basic ZWRjZXJ0OnNlY3JldA==",
                                     "Content-Type": "application/x-www-form-urlencoded"},
                    request_body=b"grant_type=client_credentials", status=200, response_headers={},
                    response_body=b"{}", elapsed_ms=1.0)
    repro = ex.repro()
    assert "ZWRjZXJ0OnNlY3JldA" not in repro
    assert '-u "$EDCERT_CLIENT_ID:$EDCERT_CLIENT_SECRET"' in repro
    assert "$EDCERT_TOKEN" not in repro

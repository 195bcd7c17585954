"""Open Badges 3.0 credentials of certificates: what they say, their signature, the status
lists, the public verification of an uploaded credential, and the credential inside the PDF."""

import base64
import datetime
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from jsonschema import validators
from jwcrypto import jwk, jws
from referencing import Registry
from referencing.exceptions import NoSuchResource

from certificates import openbadges, services
from certificates.credentials import ensure_dev_credentials
from certificates.models import Certificate
from certificates.pdf.attachments import attached_files
from certificates.pdf.signing import validate_pdf


def _claims(token):
    return openbadges.unverified_payload(token)


def _header(token):
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _leaf_key(token):
    from cryptography import x509

    leaf = x509.load_der_x509_certificate(base64.b64decode(_header(token)["x5c"][0]))
    return jwk.JWK.from_pyca(leaf.public_key())


def _tampered(token, change):
    """The token with its payload changed and the original signature kept."""
    header, _payload, signature = token.split(".")
    claims = _claims(token)
    change(claims)
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def _status_bits(client, certificate):
    """{purpose: bit} of the certificate, read from the served status list credentials."""
    bits = {}
    for entry in [_claims(certificate.credential)["credentialStatus"]]:
        path = entry["statusListCredential"].removeprefix("http://127.0.0.1:8000")
        response = client.get(path)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vc+jwt"
        subject = _claims(response.content.decode())["credentialSubject"]
        assert subject["statusPurpose"] == entry["statusPurpose"]
        raw = openbadges.decode_bits(subject["encodedList"])
        assert len(raw) >= 16 * 1024
        bits[entry["statusPurpose"]] = openbadges.bit(raw, int(entry["statusListIndex"]))
    return bits


def _verify(client, text):
    return client.post(
        "/api/v1/verify/credential/", {"credential": text}, content_type="application/json"
    )


def _officer(world):
    return world.officer


# --- What the credential says ------------------------------------------------------------------


def test_the_credential_is_an_open_badge_of_the_certificate(issued_certificate):
    certificate = issued_certificate
    claims = _claims(certificate.credential)
    assert claims["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["id"].endswith(f"/verify/{certificate.number}/credential/")
    assert claims["issuer"]["id"].endswith(f"/verify/issuers/{certificate.tenant.slug}/")
    assert claims["issuer"]["name"] == certificate.tenant.name
    assert claims["validFrom"] == f"{certificate.issued_on.isoformat()}T00:00:00Z"
    assert claims["validUntil"] == f"{certificate.expires_on.isoformat()}T23:59:59Z"
    subject = claims["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"][0]["identityHash"] in (
        certificate.organization_name,
        certificate.organization_name_en,
    )
    achievement = subject["achievement"]
    assert achievement["name"] == (
        f"{certificate.model_name_en} — Level {certificate.level} ({certificate.level_name_en})"
    )
    assert "narrative" in achievement["criteria"]
    assert certificate.model_name_en in achievement["criteria"]["narrative"]
    assert subject["result"][0]["achievedLevel"].endswith(f"#level-{certificate.level}")
    status = claims["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "suspension"
    assert status["statusListIndex"] == str(certificate.status_list_index)
    assert status["statusListCredential"].endswith(
        f"/verify/issuers/{certificate.tenant.slug}/status/suspension/"
    )
    assert claims["evidence"][0]["id"].endswith(f"/verify/{certificate.number}/")


# The AchievementCredential JSON Schema of Open Badges 3.0.3, as 1EdTech publishes it
# (tests/data/openbadges/NOTICE.md says where it was copied from).
SCHEMA_PATH = (
    Path(__file__).parent / "data" / "openbadges" / "ob_v3p0_achievementcredential_schema.json"
)


def _no_network(uri):
    raise NoSuchResource(ref=uri)  # every $ref of the schema is local: nothing is fetched


def _schema_validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = validators.validator_for(schema)  # the draft the schema declares (2019-09)
    cls.check_schema(schema)
    return cls(schema, registry=Registry(retrieve=_no_network), format_checker=cls.FORMAT_CHECKER)


def test_the_vendored_schema_is_the_ob_3_0_achievement_credential_schema():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2019-09/schema#"
    assert schema["$id"] == (
        "https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/"
        "ob_v3p0_achievementcredential_schema.json"
    )
    assert schema["required"] == [
        "@context",
        "id",
        "type",
        "credentialSubject",
        "issuer",
        "validFrom",
    ]
    assert schema["properties"]["credentialStatus"] == {"$ref": "#/$defs/CredentialStatus"}
    assert schema["$defs"]["CredentialStatus"]["type"] == "object"
    assert validators.validator_for(schema) is validators.Draft201909Validator


def test_the_credential_is_valid_against_the_open_badges_3_0_schema(issued_certificate):
    validator = _schema_validator()
    claims = _claims(issued_certificate.credential)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(claims)]
    assert errors == []


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.update(credentialStatus=[c["credentialStatus"], c["credentialStatus"]]),
        lambda c: c.pop("validFrom"),
        lambda c: c.update({"@context": list(reversed(c["@context"]))}),
        lambda c: c["credentialSubject"]["achievement"].pop("criteria"),
        lambda c: c["issuer"].update(type="Issuer"),
        lambda c: c.update(validFrom="25 November 2026"),
    ],
    ids=["two-status-entries", "no-validFrom", "context-order", "no-criteria", "issuer", "date"],
)
def test_the_schema_check_catches_what_the_schema_forbids(issued_certificate, change):
    claims = _claims(issued_certificate.credential)
    change(claims)
    assert not _schema_validator().is_valid(claims)


def test_the_signature_verifies_with_the_body_key_and_fails_when_a_claim_changes(
    issued_certificate,
):
    token = issued_certificate.credential
    header = _header(token)
    assert header["alg"] == "ES256" and header["typ"] == "vc+jwt" and len(header["x5c"]) == 2
    key = _leaf_key(token)
    good = jws.JWS()
    good.deserialize(token)
    good.verify(key)  # raises if it does not verify

    def promote(claims):
        claims["credentialSubject"]["achievement"]["name"] = "Continuous Delivery — Level 5"

    bad = jws.JWS()
    bad.deserialize(_tampered(token, promote))
    with pytest.raises(jws.InvalidJWSSignature):
        bad.verify(key)


def test_the_body_key_is_served_as_a_jwks(issued_certificate, client):
    token = issued_certificate.credential
    profile = client.get(f"/verify/issuers/{issued_certificate.tenant.slug}/").json()
    assert profile["type"] == ["Profile"] and profile["id"] == _claims(token)["issuer"]["id"]
    jwks = client.get(profile["jwks_uri"].removeprefix("http://127.0.0.1:8000")).json()
    keys = jwk.JWKSet.from_json(json.dumps(jwks))
    key = keys.get_key(_header(token)["kid"])
    assert key is not None
    check = jws.JWS()
    check.deserialize(token)
    check.verify(key)
    assert "d" not in jwks["keys"][0]  # the public half only


def test_status_list_indexes_never_collide(granted, issued_certificate):
    with scope(tenant=granted.tenant):
        used = list(
            Certificate.objects.exclude(status_list_index=None).values_list(
                "status_list_index", flat=True
            )
        )
    assert len(used) == len(set(used)) == 1
    assert 0 <= used[0] < openbadges.MIN_LIST_BITS


def test_encoded_list_puts_index_zero_at_the_leftmost_bit():
    raw = openbadges.decode_bits(openbadges.encode_bits([0, 9], openbadges.MIN_LIST_BITS))
    assert raw[0] == 0x80 and raw[1] == 0x40 and len(raw) == 16 * 1024


# --- Status lists ------------------------------------------------------------------------------


def test_the_bits_flip_on_suspension_and_back_on_reinstatement(granted, issued_certificate, client):
    certificate = issued_certificate
    assert _status_bits(client, certificate) == {"suspension": False}
    with scope(tenant=granted.tenant):
        services.suspend(certificate=certificate, by=_member(granted), reason="Audit missed")
    assert _status_bits(client, certificate) == {"suspension": True}
    with scope(tenant=granted.tenant):
        services.reinstate(certificate=certificate, by=_member(granted), reason="Verified")
    assert _status_bits(client, certificate) == {"suspension": False}
    with scope(tenant=granted.tenant):
        services.withdraw(certificate=certificate, by=_member(granted), reason="Fraud")
    # The credential's one entry stops accepting it for good; the revocation list, still
    # published for credentials issued with two entries, says withdrawn as before.
    assert _status_bits(client, certificate) == {"suspension": True}
    revocation = client.get(f"/verify/issuers/{certificate.tenant.slug}/status/revocation/")
    subject = _claims(revocation.content.decode())["credentialSubject"]
    raw = openbadges.decode_bits(subject["encodedList"])
    assert openbadges.bit(raw, certificate.status_list_index) is True


def test_the_status_list_is_served_with_constant_queries(
    issued_certificate, client, django_assert_max_num_queries
):
    path = f"/verify/issuers/{issued_certificate.tenant.slug}/status/revocation/"
    client.get(path)  # made on first use
    with django_assert_max_num_queries(2):
        assert client.get(path).status_code == 200
    assert client.get(path.replace("revocation", "nonsense")).status_code == 404


def _member(world):
    from tenants.models import Membership

    with scopes_disabled():
        return Membership.objects.get(tenant=world.tenant, user=world.officer.user)


# --- Public verification -----------------------------------------------------------------------


def test_the_credential_is_downloadable_from_the_verify_url(issued_certificate, client):
    page = client.get(f"/verify/{issued_certificate.number}/").content.decode()
    assert f"/verify/{issued_certificate.number}/credential/" in page
    response = client.get(f"/verify/{issued_certificate.number}/credential/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+jwt"
    assert f"{issued_certificate.number}.jwt" in response["Content-Disposition"]
    assert response.content.decode() == issued_certificate.credential
    api = client.get(f"/api/v1/verify/{issued_certificate.number}/credential/").json()
    assert api["credential"] == issued_certificate.credential
    assert client.get("/verify/NOPE-2026-00001/credential/").status_code == 404


def test_an_issued_credential_verifies_valid_on_the_page_and_in_the_api(issued_certificate, client):
    upload = SimpleUploadedFile("c.jwt", issued_certificate.credential.encode())
    page = client.post("/verify/", {"credential": upload, "check": "credential"})
    assert page.status_code == 200
    assert 'data-verdict="valid"' in page.content.decode()
    answer = _verify(client, issued_certificate.credential).json()
    assert answer["verdict"] == "valid" and answer["genuine"] is True
    assert answer["checks"]["status_list"] == {"suspension": False}
    assert answer["certificate"]["number"] == issued_certificate.number


def test_the_json_envelope_of_the_credential_verifies_too(issued_certificate, client):
    envelope = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": f"data:application/vc+jwt,{issued_certificate.credential}",
    }
    assert _verify(client, json.dumps(envelope)).json()["verdict"] == "valid"


def test_a_suspended_or_withdrawn_certificate_credential_says_so(
    granted, issued_certificate, client
):
    with scope(tenant=granted.tenant):
        services.suspend(certificate=issued_certificate, by=_member(granted), reason="Missed")
    assert _verify(client, issued_certificate.credential).json()["verdict"] == "suspended"
    with scope(tenant=granted.tenant):
        services.withdraw(certificate=issued_certificate, by=_member(granted), reason="Fraud")
    assert _verify(client, issued_certificate.credential).json()["verdict"] == "withdrawn"


def test_a_credential_past_its_validity_is_expired(issued_certificate, client, monkeypatch):
    later = timezone.now() + datetime.timedelta(days=4 * 366)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert _verify(client, issued_certificate.credential).json()["verdict"] == "expired"


def test_a_tampered_credential_is_altered(issued_certificate, client):
    def promote(claims):
        claims["credentialSubject"]["achievement"]["name"] = "Continuous Delivery — Level 5"

    answer = _verify(client, _tampered(issued_certificate.credential, promote)).json()
    assert answer["verdict"] == "altered" and answer["genuine"] is False
    upload = SimpleUploadedFile("c.jwt", _tampered(issued_certificate.credential, promote).encode())
    page = client.post("/verify/", {"credential": upload, "check": "credential"})
    assert 'data-verdict="altered"' in page.content.decode()


def test_another_bodys_key_does_not_verify_a_credential(
    issued_certificate, other_tenant, pdf_settings, client
):
    """The other body's key is trusted (same CA), but it is not the key of this certificate."""
    with scope(tenant=other_tenant):
        ensure_dev_credentials(other_tenant)
    forged = openbadges.sign(
        _claims(issued_certificate.credential), openbadges.body_key(other_tenant)
    )
    answer = _verify(client, forged).json()
    assert answer["verdict"] == "not_ours" and answer["genuine"] is False
    assert answer["checks"]["signature_valid"] is True


def test_a_self_made_key_is_not_ours(issued_certificate, client):
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    token = jws.JWS(json.dumps(_claims(issued_certificate.credential)).encode())
    token.add_signature(key, alg="ES256", protected={"alg": "ES256", "typ": "vc+jwt"})
    assert _verify(client, token.serialize(compact=True)).json()["verdict"] == "not_ours"


def test_an_unsigned_credential_is_not_ours(issued_certificate, client):
    answer = _verify(client, json.dumps(_claims(issued_certificate.credential))).json()
    assert answer["verdict"] == "not_ours"


@pytest.mark.parametrize(
    "text", ["", "   ", "hello", "a.b", "{not json", "[1, 2]", '{"x": 1}', "a.b.c", "e30.e30.e30"]
)
def test_bad_input_is_a_400_naming_the_field(client, db, text):
    response = _verify(client, text)
    assert response.status_code == 400, response.content
    assert "credential" in response.json()
    page = client.post("/verify/", {"credential_text": text, "check": "credential"})
    assert page.status_code == 400


def test_a_binary_file_is_a_form_error(client, db):
    upload = SimpleUploadedFile("c.jwt", b"\xff\xfe\x00binary")
    page = client.post("/verify/", {"credential": upload, "check": "credential"})
    assert page.status_code == 400 and "not text" in page.content.decode()


# --- Inside the PDF ----------------------------------------------------------------------------


def test_the_pdf_carries_the_credential_and_its_signature_still_covers_everything(
    issued_certificate, pdf_settings, tmp_path
):
    data = issued_certificate.pdf.read()
    files = attached_files(data)
    assert files == {f"{issued_certificate.number}.jwt": issued_certificate.credential.encode()}
    result = validate_pdf(data, trust_roots=pdf_settings.CERTIFICATE_TRUST_ROOTS)
    assert result.ok and result.covers_whole_file, result.error
    if shutil.which("pdfsig"):
        path = tmp_path / "certificate.pdf"
        path.write_bytes(data)
        out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
        assert "Signature is Valid." in out and "Total document signed" in out


def test_the_credential_taken_from_the_pdf_verifies(issued_certificate, client):
    (token,) = attached_files(issued_certificate.pdf.read()).values()
    assert re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+", token.decode())
    assert _verify(client, token.decode()).json()["verdict"] == "valid"


def test_a_taken_index_is_never_given_again(granted, issued_certificate, monkeypatch):
    """Twenty more credentials of the body, the random draw made to hit taken bits first."""
    from certificates.services import badges

    taken = issued_certificate.status_list_index
    draws = iter([taken, taken] + list(range(100)))
    monkeypatch.setattr(badges.secrets, "randbelow", lambda _n: next(draws))
    with scope(tenant=granted.tenant):
        for n in range(20):
            copy = Certificate.objects.get(pk=issued_certificate.pk)
            copy.pk = None
            copy.number = f"{issued_certificate.number}-C{n}"
            copy.status, copy.credential, copy.status_list_index = "withdrawn", "", None
            copy.save()
            badges.issue_credential(copy)
        used = list(
            Certificate.objects.exclude(status_list_index=None).values_list(
                "status_list_index", flat=True
            )
        )
    assert len(used) == 21 and len(set(used)) == 21


def test_a_body_that_lost_its_key_still_gets_verdicts_not_errors(
    granted, issued_certificate, client
):
    from certificates.models import StatusList

    token = issued_certificate.credential
    with scopes_disabled():
        StatusList.objects.all().delete()
        granted.tenant.signing_pkcs12_path = ""
        granted.tenant.save(update_fields=["signing_pkcs12_path"])
    with scope(tenant=granted.tenant):
        services.suspend(certificate=issued_certificate, by=_member(granted), reason="Missed")
    assert _verify(client, token).json()["verdict"] == "suspended"
    slug = granted.tenant.slug
    assert client.get(f"/verify/issuers/{slug}/status/suspension/").status_code == 404
    assert client.get(f"/verify/issuers/{slug}/jwks.json").status_code == 404


def test_a_credential_issued_with_two_status_entries_still_verifies(
    granted, issued_certificate, client
):
    """Credentials issued before the single entry carry both (a VC 2.0 array): the portal
    still reads them, and the revocation list they name is still kept."""
    certificate = issued_certificate
    claims = openbadges.credential_claims(certificate)
    entry = claims["credentialStatus"]
    claims["credentialStatus"] = [
        {
            **entry,
            "id": entry["id"].replace("/suspension/", "/revocation/"),
            "statusPurpose": "revocation",
            "statusListCredential": entry["statusListCredential"].replace(
                "/suspension/", "/revocation/"
            ),
        },
        entry,
    ]
    with scope(tenant=granted.tenant):
        certificate.credential = openbadges.sign(claims, openbadges.body_key(certificate.tenant))
        certificate.save(update_fields=["credential"])
    answer = _verify(client, certificate.credential).json()
    assert answer["verdict"] == "valid"
    assert answer["checks"]["status_list"] == {"revocation": False, "suspension": False}
    with scope(tenant=granted.tenant):
        services.suspend(certificate=certificate, by=_member(granted), reason="Missed")
    assert _verify(client, certificate.credential).json()["verdict"] == "suspended"
    with scope(tenant=granted.tenant):
        services.withdraw(certificate=certificate, by=_member(granted), reason="Fraud")
    answer = _verify(client, certificate.credential).json()
    assert answer["verdict"] == "withdrawn"
    assert answer["checks"]["status_list"] == {"revocation": True, "suspension": True}

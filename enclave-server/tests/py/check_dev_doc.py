#!/usr/bin/env python3
"""Independent check of a tee-rex development attestation document.

Verifies, with Python's `cryptography` and `cbor2` rather than the Rust code that produced it,
that a document is a Nitro attestation document in AWS's format, signed through a P-384 chain
that starts at the published development root:

- envelope: untagged COSE_Sign1, protected header exactly {1: -35}, empty unprotected header,
  96-byte r||s signature that verifies (ECDSA P-384, SHA-384) over the COSE Signature1
  structure with the leaf's key;
- payload: AWS's keys in AWS's order with AWS's types, definite-length minimal encoding,
  16 PCRs of 48 bytes with PCR0 = SHA-384 of the server binary, PCR1 and PCR2 derived from it
  with their domain prefixes, PCR0..2 as published in `<root>.pcrs.json`, the others zero;
  the requested public key, user data and nonce (null when none);
- chain: cabundle[0] is the published root, then three intermediates, each certificate signed
  by the one before (root self-signed) with ecdsa-with-SHA384 and P-384 keys, path lengths
  2/1/0 like AWS's, a leaf that is not a CA with digitalSignature, all valid at the document's
  time, and RFC 5280 path validation through `cryptography.x509.verification`.

Usage: check_dev_doc.py --doc DOC --root PEM --binary FILE --public-key-hex HEX
                         --user-data-hex HEX [--nonce-hex HEX] --not-before-ms MS --not-after-ms MS
Exit status 0 when every check passes, 1 with the failed check on stderr otherwise.
"""

import argparse
import datetime
import hashlib
import json
import sys
import warnings

import cbor2
import cryptography
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import SignatureAlgorithmOID
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store

AWS_KEYS = [
    "module_id",
    "digest",
    "timestamp",
    "pcrs",
    "certificate",
    "cabundle",
    "public_key",
    "user_data",
    "nonce",
]
PROTECTED_ES384 = bytes.fromhex("a1013822")
PCR_DOMAINS = {
    1: b"tee-rex dev PCR1: kernel and bootstrap stand-in\0",
    2: b"tee-rex dev PCR2: application stand-in\0",
}


class CheckFailed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise CheckFailed(what)


def check_envelope(raw):
    check(raw[:1] == b"\x84", "document is an untagged CBOR array of four")
    envelope = cbor2.loads(raw)
    check(isinstance(envelope, list) and len(envelope) == 4, "COSE_Sign1 has four parts")
    protected, unprotected, payload, signature = envelope
    check(protected == PROTECTED_ES384, "protected header is exactly {1: -35}")
    check(cbor2.loads(protected) == {1: -35}, "protected header decodes to alg ES384")
    check(unprotected == {}, "unprotected header is empty")
    check(isinstance(payload, bytes) and payload, "payload is a non-empty bstr")
    check(isinstance(signature, bytes) and len(signature) == 96, "signature is 96 bytes")
    return protected, payload, signature


def check_payload(payload, args, pcrs_json):
    doc = cbor2.loads(payload)
    check(isinstance(doc, dict), "payload is a map")
    check(list(doc) == AWS_KEYS, f"payload keys in AWS order, got {list(doc)}")
    check(cbor2.dumps(doc) == payload, "payload uses definite-length, minimal encoding")

    check(isinstance(doc["module_id"], str) and doc["module_id"], "module_id is non-empty text")
    check(doc["digest"] == "SHA384", "digest is SHA384")
    ts = doc["timestamp"]
    check(isinstance(ts, int) and not isinstance(ts, bool), "timestamp is an integer")
    check(args.not_before_ms <= ts <= args.not_after_ms, "timestamp (ms) is the signing time")

    pcrs = doc["pcrs"]
    check(isinstance(pcrs, dict) and list(pcrs) == list(range(16)), "pcrs has indices 0..15")
    check(all(isinstance(v, bytes) and len(v) == 48 for v in pcrs.values()), "PCRs are 48 bytes")
    with open(args.binary, "rb") as f:
        pcr0 = hashlib.sha384(f.read()).digest()
    check(pcrs[0] == pcr0, "PCR0 is SHA-384 of the server binary")
    for i, domain in PCR_DOMAINS.items():
        derived = hashlib.sha384(domain + pcr0).digest()
        check(pcrs[i] == derived, f"PCR{i} is SHA-384 of its domain and PCR0")
    check(set(pcrs_json) == {"PCR0", "PCR1", "PCR2"}, "pcrs.json has PCR0, PCR1, PCR2")
    for i in range(3):
        check(pcrs_json[f"PCR{i}"] == pcrs[i].hex(), f"PCR{i} matches pcrs.json")
    check(len({pcrs[0], pcrs[1], pcrs[2], bytes(48)}) == 4, "PCR0..2 distinct and non-zero")
    check(all(pcrs[i] == bytes(48) for i in range(3, 16)), "PCR3..15 are zero")

    check(isinstance(doc["certificate"], bytes), "certificate is a bstr")
    bundle = doc["cabundle"]
    check(isinstance(bundle, list) and len(bundle) == 4, "cabundle holds four certificates")
    for der in bundle + [doc["certificate"]]:
        check(isinstance(der, bytes) and 1 <= len(der) <= 1024, "certificates are 1..1024 bytes")

    check(doc["public_key"] == bytes.fromhex(args.public_key_hex), "public_key as requested")
    check(doc["user_data"] == bytes.fromhex(args.user_data_hex), "user_data as requested")
    if args.nonce_hex is None:
        check(doc["nonce"] is None, "nonce is null when none was requested")
    else:
        check(doc["nonce"] == bytes.fromhex(args.nonce_hex), "nonce as requested")
    return doc


def basic_constraints(cert):
    ext = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    return ext.critical, ext.value.ca, ext.value.path_length


def check_chain(doc, root_pem):
    root = x509.load_pem_x509_certificate(root_pem)
    bundle = [x509.load_der_x509_certificate(der) for der in doc["cabundle"]]
    leaf = x509.load_der_x509_certificate(doc["certificate"])
    check(bundle[0] == root, "cabundle[0] is the published root")
    chain = bundle + [leaf]

    for cert in chain:
        check(cert.version == x509.Version.v3, "certificates are X.509 v3")
        check(
            cert.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA384,
            "certificates are signed with ecdsa-with-SHA384",
        )
        key = cert.public_key()
        check(
            isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp384r1",
            "certificate keys are P-384",
        )

    root.verify_directly_issued_by(root)
    for parent, child in zip(chain, chain[1:]):
        child.verify_directly_issued_by(parent)

    check(basic_constraints(root)[:2] == (True, True), "root is a CA (critical)")
    expected = [(True, True, 2), (True, True, 1), (True, True, 0)]
    check([basic_constraints(c) for c in bundle[1:]] == expected, "intermediate path lengths")
    check(basic_constraints(leaf)[1] is False, "leaf is not a CA")
    for ca in bundle:
        usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
        check(usage.key_cert_sign, "CAs may sign certificates")
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    check(usage.digital_signature and not usage.key_cert_sign, "leaf signs documents only")

    when = datetime.datetime.fromtimestamp(doc["timestamp"] / 1000, datetime.timezone.utc)
    for cert in chain:
        check(
            cert.not_valid_before_utc <= when <= cert.not_valid_after_utc,
            "every certificate is valid at the document's time",
        )
    lifetime = lambda c: c.not_valid_after_utc - c.not_valid_before_utc  # noqa: E731
    check(lifetime(root) >= datetime.timedelta(days=3650), "root lives for years")
    check(lifetime(leaf) <= datetime.timedelta(hours=6), "leaf lives for a few hours")

    # Web PKI rules for the CAs; the leaf's extensions were checked above (AWS leaves carry no
    # subjectAltName, which the Web PKI end-entity profile requires).
    verifier = (
        PolicyBuilder()
        .store(Store([root]))
        .time(when)
        .extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all()
        )
        .build_client_verifier()
    )
    verified = verifier.verify(leaf, bundle[1:])
    check(verified.chain[-1] == root, "RFC 5280 path validation ends at the root")
    return leaf


def check_signature(leaf, protected, payload, signature):
    sig_structure = cbor2.dumps(["Signature1", protected, b"", payload])
    der = encode_dss_signature(
        int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big")
    )
    leaf.public_key().verify(der, sig_structure, ec.ECDSA(hashes.SHA384()))


def main():
    if int(cryptography.__version__.split(".")[0]) < 45:
        print(f"check failed: needs cryptography>=45, found {cryptography.__version__}", file=sys.stderr)
        return 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--public-key-hex", required=True)
    parser.add_argument("--user-data-hex", required=True)
    parser.add_argument("--nonce-hex")
    parser.add_argument("--not-before-ms", type=int, required=True)
    parser.add_argument("--not-after-ms", type=int, required=True)
    args = parser.parse_args()
    # cryptography warns, rather than fails, on some malformed certificates (an over-long name).
    warnings.simplefilter("error")

    with open(args.doc, "rb") as f:
        raw = f.read()
    with open(args.root, "rb") as f:
        root_pem = f.read()
    with open(args.root + ".pcrs.json", encoding="utf-8") as f:
        pcrs_json = json.load(f)

    try:
        protected, payload, signature = check_envelope(raw)
        doc = check_payload(payload, args, pcrs_json)
        leaf = check_chain(doc, root_pem)
        check_signature(leaf, protected, payload, signature)
    except CheckFailed as e:
        print(f"check failed: {e}", file=sys.stderr)
        return 1
    except InvalidSignature:
        print("check failed: a signature does not verify", file=sys.stderr)
        return 1
    except (ValueError, TypeError, KeyError, x509.ExtensionNotFound) as e:
        print(f"check failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except x509.verification.VerificationError as e:
        print(f"check failed: path validation: {e}", file=sys.stderr)
        return 1
    print("dev attestation document: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

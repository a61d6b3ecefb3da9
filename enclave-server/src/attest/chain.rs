//! The development certificate chain, shaped like AWS's Nitro attestation PKI.
//!
//! AWS signs each document with a short-lived leaf under four certificate authorities:
//!
//! ```text
//! level     AWS lifetime   basicConstraints        here
//! root      30 years       CA, no path length      30 years
//! regional  ~3 weeks       CA, pathLen 2           20 days
//! zonal     ~5 days        CA, pathLen 1           5 days
//! instance  1 day          CA, pathLen 0           1 day
//! leaf      3 hours        not a CA                3 hours, keyUsage digitalSignature
//! ```
//!
//! The document's `cabundle` lists root, regional, zonal, instance, in that order, and its
//! `certificate` is the leaf. All keys are P-384 and all signatures ECDSA with SHA-384. Keys live
//! only in memory. A long-running server re-issues a level (and everything below it) before it
//! would expire ahead of its children, so every document it signs verifies at its own time; the
//! root is generated once per process.
//!
//! Certificates come from `x509-cert`'s builder profiles, which add subject and authority key
//! identifiers on every level; AWS leaves have neither, which no verifier relies on.

use std::{
    str::FromStr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use der::{pem::LineEnding, Encode, EncodePem};
use p384::ecdsa::{DerSignature, SigningKey};
use rand::{rngs::OsRng, RngCore};
use x509_cert::{
    builder::{Builder, CertificateBuilder, Profile},
    name::Name,
    serial_number::SerialNumber,
    spki::SubjectPublicKeyInfoOwned,
    time::{Time, Validity},
    Certificate,
};

use super::{AttestError, AttestErrorKind};

/// The chain's five certificates and their keys.
pub(crate) struct DevChain {
    /// Root, regional, zonal, instance, leaf.
    levels: [Issued; LEVELS],
    /// The document's `module_id`, which the leaf's subject names.
    module_id: String,
}

impl DevChain {
    /// Generates a fresh chain valid from `now`, with a leaf for `module_id`.
    pub(crate) fn generate(now: SystemTime, module_id: &str) -> Result<Self, AttestError> {
        let root = issue(0, now, module_id, None)?;
        let regional = issue(1, now, module_id, Some(&root))?;
        let zonal = issue(2, now, module_id, Some(&regional))?;
        let instance = issue(3, now, module_id, Some(&zonal))?;
        let leaf = issue(4, now, module_id, Some(&instance))?;
        Ok(Self {
            levels: [root, regional, zonal, instance, leaf],
            module_id: module_id.into(),
        })
    }

    /// Re-issues, from `now`, the highest level that expires before the certificate under it
    /// would, and every level below it. Does nothing while the chain covers a new leaf.
    ///
    /// # Errors
    /// [`AttestErrorKind::RootOutOfValidity`] when the root itself does not cover `now` and a
    /// new regional CA; a certificate error when re-issuing fails.
    pub(crate) fn refresh(&mut self, now: SystemTime) -> Result<(), AttestError> {
        let Some(first) = (0..LEVELS).find(|&level| self.needs_renewal(level, now)) else {
            return Ok(());
        };
        if first == 0 {
            return Err(AttestErrorKind::RootOutOfValidity.into());
        }

        // Issue the new levels aside and install them together, so that a failure halfway
        // leaves the old, consistent chain rather than a child signed by a replaced key.
        let mut fresh: Vec<Issued> = Vec::with_capacity(LEVELS - first);
        for level in first..LEVELS {
            let issuer = fresh.last().or_else(|| self.levels.get(level - 1));
            fresh.push(issue(level, now, &self.module_id, issuer)?);
        }
        for (slot, issued) in self.levels.iter_mut().skip(first).zip(fresh) {
            *slot = issued;
        }
        Ok(())
    }

    /// The root certificate as PEM.
    pub(crate) fn root_pem(&self) -> Result<String, AttestError> {
        self.levels[0]
            .cert
            .to_pem(LineEnding::LF)
            .map_err(|source| {
                AttestErrorKind::Der {
                    what: "root certificate PEM",
                    source,
                }
                .into()
            })
    }

    /// DER of the root certificate.
    #[cfg(test)]
    pub(crate) fn root_der(&self) -> &[u8] {
        &self.levels[0].der
    }

    /// The leaf's key, the leaf's DER and the `cabundle` (root first), as a document needs them.
    pub(crate) fn signer(&self) -> LeafSigner {
        let [root, regional, zonal, instance, leaf] = &self.levels;
        LeafSigner {
            key: leaf.key.clone(),
            certificate: leaf.der.clone(),
            cabundle: [&root.der, &regional.der, &zonal.der, &instance.der]
                .map(|der| der.clone())
                .to_vec(),
        }
    }

    /// Whether `level` must be re-issued at `now`: it expires before a fresh certificate of
    /// the level below would (for the leaf: within [`LEAF_MIN_REMAINING`]), or it is not yet
    /// valid because the clock went back.
    fn needs_renewal(&self, level: usize, now: SystemTime) -> bool {
        let Some(issued) = self.levels.get(level) else {
            return false;
        };
        let must_cover = LIFETIMES
            .get(level + 1)
            .copied()
            .unwrap_or(LEAF_MIN_REMAINING);
        let covered_until = now.checked_add(must_cover);
        now < issued.not_before || covered_until.is_none_or(|until| until > issued.not_after)
    }
}

impl std::fmt::Debug for DevChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevChain")
            .field("module_id", &self.module_id)
            .field("leaf_not_after", &self.levels[LEVELS - 1].not_after)
            .finish_non_exhaustive()
    }
}

/// What signing one document takes: the leaf key and the certificates the document carries.
pub(crate) struct LeafSigner {
    /// The leaf's private key.
    pub(crate) key: SigningKey,
    /// The leaf certificate, DER.
    pub(crate) certificate: Vec<u8>,
    /// Root, regional, zonal, instance, DER.
    pub(crate) cabundle: Vec<Vec<u8>>,
}

impl std::fmt::Debug for LeafSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeafSigner").finish_non_exhaustive()
    }
}

/// One issued certificate with its private key.
struct Issued {
    key: SigningKey,
    cert: Certificate,
    der: Vec<u8>,
    not_before: SystemTime,
    not_after: SystemTime,
}

/// Issues the certificate of `level` at `now`, signed by `issuer`; self-signed, with the root
/// profile, when there is none.
fn issue(
    level: usize,
    now: SystemTime,
    module_id: &str,
    issuer: Option<&Issued>,
) -> Result<Issued, AttestError> {
    let role = ROLES.get(level).copied().unwrap_or("unknown");
    let cert_error = |source| AttestErrorKind::Certificate { role, source };
    let der_error = |what| move |source| AttestErrorKind::Der { what, source };

    let key = SigningKey::random(&mut OsRng);
    let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())
        .map_err(|source| cert_error(source.into()))?;
    let subject = Name::from_str(&subject_of(level, module_id)).map_err(der_error("name"))?;

    // Backdated so a client whose clock lags accepts a chain issued just now, and the root more
    // so that a server whose clock steps back re-issues the levels below it instead of failing.
    let since_epoch = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| AttestErrorKind::Clock)?;
    let lifetime = LIFETIMES.get(level).copied().unwrap_or(Duration::ZERO);
    let backdate = if level == 0 { ROOT_BACKDATE } else { BACKDATE };
    let not_before = Duration::from_secs(since_epoch.as_secs())
        .checked_sub(backdate)
        .map(|since| UNIX_EPOCH + since)
        .ok_or(AttestErrorKind::Clock)?;
    let not_after = not_before
        .checked_add(lifetime)
        .ok_or(AttestErrorKind::Clock)?;
    let validity = Validity {
        not_before: Time::try_from(not_before).map_err(der_error("validity"))?,
        not_after: Time::try_from(not_after).map_err(der_error("validity"))?,
    };

    let profile = match issuer {
        None => Profile::Root,
        Some(issuer) if level == LEAF => Profile::Leaf {
            issuer: issuer.cert.tbs_certificate.subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        },
        Some(issuer) => Profile::SubCA {
            issuer: issuer.cert.tbs_certificate.subject.clone(),
            path_len_constraint: PATH_LENS.get(level).copied().flatten(),
        },
    };
    let signer = issuer.map_or(&key, |issuer| &issuer.key);
    let cert = CertificateBuilder::new(profile, random_serial()?, validity, subject, spki, signer)
        .and_then(|builder| builder.build::<DerSignature>())
        .map_err(cert_error)?;
    let der = cert.to_der().map_err(der_error("certificate"))?;

    Ok(Issued {
        key,
        cert,
        der,
        not_before,
        not_after,
    })
}

/// A positive 128-bit serial with no leading zero byte, random like AWS's.
fn random_serial() -> Result<SerialNumber, AttestError> {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes).map_err(|source| {
        AttestErrorKind::Der {
            what: "serial number",
            source,
        }
        .into()
    })
}

/// The RFC 4514 subject of `level`: AWS's naming, under a development domain that no one
/// could mistake for AWS's.
fn subject_of(level: usize, module_id: &str) -> String {
    let mut label = [0u8; 8];
    OsRng.fill_bytes(&mut label);
    let label = hex::encode(label);
    let cn = match level {
        0 => DOMAIN.to_string(),
        1 => format!("{label}.{DOMAIN}"),
        2 => format!("{label}.zonal.{DOMAIN}"),
        3 => format!("{}.{DOMAIN}", instance_of(module_id)),
        _ => format!("{module_id}.{LEAF_DOMAIN}"),
    };
    format!("CN={cn},OU={ORGANIZATIONAL_UNIT},O=tee-rex,C=US")
}

/// The instance part of a module id: `i-0123...` of `i-0123...-enc0abc...`.
fn instance_of(module_id: &str) -> &str {
    module_id
        .split_once("-enc")
        .map_or(module_id, |(instance, _)| instance)
}

const LEVELS: usize = 5;
const LEAF: usize = 4;
const ROLES: [&str; LEVELS] = ["root", "regional", "zonal", "instance", "leaf"];
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);
/// Lifetime of each level, root first.
const LIFETIMES: [Duration; LEVELS] = [
    Duration::from_secs(30 * 365 * DAY.as_secs()),
    Duration::from_secs(20 * DAY.as_secs()),
    Duration::from_secs(5 * DAY.as_secs()),
    DAY,
    Duration::from_secs(3 * HOUR.as_secs()),
];
/// `pathLenConstraint` of each level; the root has none, the leaf is no CA.
const PATH_LENS: [Option<u8>; LEVELS] = [None, Some(2), Some(1), Some(0), None];
/// A leaf is replaced when less than this is left of it, so a client verifying a document a
/// while after fetching it still finds the leaf valid.
const LEAF_MIN_REMAINING: Duration = HOUR;
const BACKDATE: Duration = Duration::from_secs(5 * 60);
const ROOT_BACKDATE: Duration = DAY;
const DOMAIN: &str = "dev.tee-rex.nitro-enclaves";
/// Shorter than [`DOMAIN`] so that the leaf's common name stays within X.520's 64 characters.
const LEAF_DOMAIN: &str = "dev.tee-rex";
const ORGANIZATIONAL_UNIT: &str = "tee-rex development attestation (not AWS)";

#[cfg(test)]
mod tests {
    use der::{
        oid::{AssociatedOid, ObjectIdentifier},
        Decode, DecodePem,
    };
    use p384::ecdsa::{signature::Verifier, VerifyingKey};
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};

    use super::*;

    const MODULE_ID: &str = "i-0de0000000000000a-enc0123456789abcdef";
    const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
    const SECP384R1: &str = "1.3.132.0.34";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn now() -> SystemTime {
        at(1_780_000_000)
    }

    fn certs(chain: &DevChain) -> Vec<Certificate> {
        let signer = chain.signer();
        signer
            .cabundle
            .iter()
            .chain([&signer.certificate])
            .map(|der| Certificate::from_der(der).unwrap())
            .collect()
    }

    fn verify_issued_by(cert: &Certificate, issuer: &Certificate) {
        assert_eq!(cert.tbs_certificate.issuer, issuer.tbs_certificate.subject);
        let key = VerifyingKey::from_sec1_bytes(
            issuer
                .tbs_certificate
                .subject_public_key_info
                .subject_public_key
                .raw_bytes(),
        )
        .unwrap();
        let sig = p384::ecdsa::DerSignature::from_bytes(cert.signature.raw_bytes()).unwrap();
        key.verify(&cert.tbs_certificate.to_der().unwrap(), &sig)
            .unwrap();
    }

    fn basic_constraints(cert: &Certificate) -> BasicConstraints {
        let ext = cert
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == BasicConstraints::OID)
            .unwrap();
        BasicConstraints::from_der(ext.extn_value.as_bytes()).unwrap()
    }

    #[test]
    fn chain_links_root_to_leaf_with_aws_path_lengths() {
        let chain = DevChain::generate(now(), MODULE_ID).unwrap();
        let certs = certs(&chain);
        assert_eq!(certs.len(), 5);
        assert_eq!(
            certs[0].tbs_certificate.issuer,
            certs[0].tbs_certificate.subject
        );
        verify_issued_by(&certs[0], &certs[0]);
        for pair in certs.windows(2) {
            verify_issued_by(&pair[1], &pair[0]);
        }

        let path_lens: Vec<_> = certs.iter().map(basic_constraints).collect();
        assert!(path_lens[..4].iter().all(|bc| bc.ca));
        assert_eq!(
            path_lens
                .iter()
                .map(|bc| bc.path_len_constraint)
                .collect::<Vec<_>>(),
            [None, Some(2), Some(1), Some(0), None]
        );
        assert!(!path_lens[4].ca);

        let leaf = &certs[4].tbs_certificate;
        let ku = leaf
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == KeyUsage::OID)
            .unwrap();
        let ku = KeyUsage::from_der(ku.extn_value.as_bytes()).unwrap();
        assert!(ku.0.contains(KeyUsages::DigitalSignature));
        assert!(!ku.0.contains(KeyUsages::KeyCertSign));
        assert!(leaf.subject.to_string().contains(MODULE_ID));
    }

    #[test]
    fn validity_is_root_long_and_leaf_short() {
        let chain = DevChain::generate(now(), MODULE_ID).unwrap();
        let certs = certs(&chain);
        let lifetime = |c: &Certificate| {
            let v = &c.tbs_certificate.validity;
            v.not_after.to_unix_duration() - v.not_before.to_unix_duration()
        };
        assert!(lifetime(&certs[0]) >= Duration::from_secs(29 * 365 * 24 * 3600));
        assert_eq!(lifetime(&certs[4]), Duration::from_secs(3 * 3600));
        for c in &certs {
            let v = &c.tbs_certificate.validity;
            assert!(v.not_before.to_system_time() <= now());
            assert!(v.not_after.to_system_time() > now() + HOUR);
        }
    }

    #[test]
    fn refresh_reissues_only_what_would_expire() {
        let mut chain = DevChain::generate(now(), MODULE_ID).unwrap();
        let before = certs(&chain);

        chain.refresh(now() + HOUR).unwrap();
        assert_eq!(certs(&chain), before, "a leaf with two hours left is kept");

        let later = now() + 3 * HOUR;
        chain.refresh(later).unwrap();
        let after = certs(&chain);
        assert_eq!(after[..4], before[..4], "the CAs still cover a new leaf");
        assert_ne!(after[4], before[4]);
        verify_issued_by(&after[4], &after[3]);
        assert!(after[4].tbs_certificate.validity.not_after.to_system_time() > later + HOUR);

        let next_day = now() + DAY;
        chain.refresh(next_day).unwrap();
        let after = certs(&chain);
        assert_eq!(after[..3], before[..3]);
        assert_ne!(after[3], before[3], "the instance CA is re-issued");
        for pair in after.windows(2) {
            verify_issued_by(&pair[1], &pair[0]);
        }
        for c in &after {
            let v = &c.tbs_certificate.validity;
            assert!(v.not_before.to_system_time() <= next_day);
            assert!(v.not_after.to_system_time() > next_day + HOUR);
        }
    }

    #[test]
    fn refresh_fails_when_the_root_runs_out() {
        let mut chain = DevChain::generate(now(), MODULE_ID).unwrap();
        let err = chain.refresh(now() + 30 * 365 * DAY).unwrap_err();
        assert!(
            matches!(err.kind(), AttestErrorKind::RootOutOfValidity),
            "{err}"
        );
        let err = chain.refresh(now() - 2 * DAY).unwrap_err();
        assert!(
            matches!(err.kind(), AttestErrorKind::RootOutOfValidity),
            "{err}"
        );
    }

    #[test]
    fn refresh_reissues_when_the_clock_goes_back() {
        let mut chain = DevChain::generate(now(), MODULE_ID).unwrap();
        let before = certs(&chain);
        chain.refresh(now() - HOUR).unwrap();
        let after = certs(&chain);
        assert_eq!(after[0], before[0]);
        assert_ne!(after[1], before[1]);
    }

    #[test]
    fn root_pem_round_trips_to_the_bundle_root() {
        let chain = DevChain::generate(now(), MODULE_ID).unwrap();
        let pem = chain.root_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        let root = Certificate::from_pem(pem.as_bytes()).unwrap();
        assert_eq!(root.to_der().unwrap(), chain.root_der());
        assert_eq!(chain.signer().cabundle[0], chain.root_der());
    }

    #[test]
    fn every_certificate_is_p384_with_sha384_and_fits_the_document_limit() {
        let chain = DevChain::generate(now(), MODULE_ID).unwrap();
        for cert in certs(&chain) {
            assert_eq!(
                cert.signature_algorithm.oid,
                ObjectIdentifier::new_unwrap(ECDSA_SHA384)
            );
            let spki = &cert.tbs_certificate.subject_public_key_info;
            let curve: ObjectIdentifier = spki
                .algorithm
                .parameters
                .as_ref()
                .unwrap()
                .decode_as()
                .unwrap();
            assert_eq!(curve, ObjectIdentifier::new_unwrap(SECP384R1));
            assert!((1..=1024).contains(&cert.to_der().unwrap().len()));
            // X.520 ub-common-name: 64 characters.
            let subject = cert.tbs_certificate.subject.to_string();
            let cn = subject
                .split(',')
                .find_map(|rdn| rdn.strip_prefix("CN="))
                .unwrap();
            assert!(cn.len() <= 64, "{cn}");
        }
    }
}

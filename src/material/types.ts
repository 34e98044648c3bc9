/**
 * The input and output of the material checks (SPEC §2c). The input is generic on purpose: the
 * caller maps a kind's fields to roles, so this module never names a kind or a manifest field.
 * Secret input stays in its `Secret` wrapper; only the check that reads the bytes unwraps it.
 */
import type { Secret } from '../secret.js';

/** What a value is expected to hold, decided by the field (or `keyType`) it comes from. */
export type MaterialRole =
  | 'private-key' // current form, keyType PRIVATE_KEY: a PEM private key
  | 'public-key' // current form, keyType PUBLIC_KEY: a PEM public key or certificate
  | 'key-pair-public' // legacy form, publicKey: a public key or certificate, PEM or DER
  | 'key-pair-private' // legacy form, privateKey: a private key, PEM or DER
  | 'secret-key' // current form, keyType SECRET_KEY: raw key bytes
  | 'keystore'; // a keystore file (JKS or PKCS12)

/** `legacy`: the API names no format (PEM or DER base64); `current`: PEM is required for keys. */
export type MaterialForm = 'legacy' | 'current';

/** Where the value sits in a manifest; `line`/`column` are 1-based, `path` is the JSON path. */
export interface MaterialLocation {
  file: string;
  line: number;
  column: number;
  path: string;
}

/** Which resource and environment the value belongs to (for messages and the expiry metric). */
export interface MaterialContext {
  project: string;
  kind: string;
  name: string;
  environment: string;
}

/** A keystore's parameters; a current-form keystore carries `password` (and maybe `alias`). */
export interface KeystoreParameters {
  /** `JKS` or `PKCS12` (case-insensitive); other types are reported as not checkable. */
  type?: string;
  password?: Secret;
  alias?: string;
}

/** One resolved secret value to inspect. */
export interface MaterialValue {
  role: MaterialRole;
  form: MaterialForm;
  /** The resolved value, base64 inside (for a PEM file, the base64 of the PEM text). */
  value: Secret;
  /** For `keystore`: its type, password and alias as the manifest gives them. */
  keystore?: KeystoreParameters;
  /** For `secret-key`: the key `algorithm` (AES, DES, DESede, ...), to check plausible lengths. */
  algorithm?: string;
  location: MaterialLocation;
  /**
   * For a legacy key pair: the other half. The match is checked once per pair, from the
   * `key-pair-private` half (or from the public half when only it names its partner).
   */
  pairWith?: MaterialValue;
  context: MaterialContext;
}

/** Every problem the material checks can report, as a stable code. */
export type MaterialFindingCode =
  | 'material-unparseable' // error: current-form content that is not what its keyType says
  | 'material-not-pem' // error: current-form key content in DER; the API requires PEM
  | 'material-unrecognised' // warning: legacy material that parses as nothing known
  | 'key-wrong-kind' // error: a public key where a private key belongs, or the reverse
  | 'key-pair-mismatch' // error: a legacy pair whose halves both parse but do not match
  | 'key-encrypted' // warning: an encrypted private key, which cannot be checked here
  | 'key-weak-rsa' // warning: an RSA key under 2048 bits
  | 'key-weak-curve' // warning: an EC key on a curve other than P-256/P-384/P-521
  | 'secret-key-length' // warning: a secret key whose length does not fit its algorithm
  | 'certificate-expired' // error
  | 'certificate-expiring' // warning: expires within the warning window
  | 'certificate-not-yet-valid' // warning
  | 'keystore-wrong-password' // error: the keystore does not open with its password
  | 'keystore-alias-missing' // error: the alias names no entry of the keystore
  | 'keystore-type-mismatch' // error: the file is JKS but type says PKCS12, or the reverse
  | 'keystore-unreadable' // error: a current-form keystore that is neither JKS nor PKCS12, or damaged
  | 'keystore-unknown-format' // warning: a legacy keystore whose bytes are neither JKS nor PKCS12
  | 'keystore-unchecked' // warning: a keystore type or encryption this tool cannot read
  | 'keystore-check-budget' // warning: a PKCS12 store whose key derivation exceeds the checks' time budget
  | 'material-unchecked'; // warning: the check itself failed on this value (a bug, reported, not thrown)

/** One problem found in one value. Messages never hold a secret, its hash or a fingerprint. */
export interface MaterialFinding {
  code: MaterialFindingCode;
  severity: 'error' | 'warning';
  message: string;
  /** Time alone (expired, not yet valid): judged per write in plan, apply and watch (SPEC §2c). */
  blocksWrite?: boolean;
  location: MaterialLocation;
  context: MaterialContext;
}

/** A certificate found in a value (PEM or an opened keystore); all of it is public. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** Hexadecimal, as the certificate holds it. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** The keystore entry that holds it, when it comes from a keystore. */
  alias?: string;
  context: MaterialContext;
  location: MaterialLocation;
}

/** What `inspectMaterial` returns. */
export interface MaterialReport {
  findings: MaterialFinding[];
  certificates: CertificateInfo[];
}

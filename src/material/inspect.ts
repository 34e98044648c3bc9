// The material checks (SPEC §2c): what each resolved secret value holds, judged against its role
// (key kinds, pairs, strength, keystore passwords and aliases, certificate validity).
import { createPublicKey, hash, X509Certificate, type KeyObject } from 'node:crypto';
import {
  certificateFacts,
  expiryFinding,
  keyStrengthFindings,
  type CertificateFacts,
  type RawFinding,
} from './certificates.js';
import { detectKeystoreFormat, openKeystore, type KeystoreFormat, type OpenFailure } from './keystore.js';
import { parseKeyMaterial } from './pem.js';
import { setBounded } from './bounded.js';
import type { CertificateInfo, MaterialFinding, MaterialReport, MaterialRole, MaterialValue } from './types.js';

/** Options of one inspection run. */
export interface InspectOptions {
  /** The instant certificates are judged at (the CLI passes the clock's now). */
  now: Date;
  /** A certificate expiring within this many days is a warning (`--expiry-warn-days`, default 30). */
  expiryWarnDays: number;
  /** Where results are reused; defaults to one cache shared by the process. `false`: none. */
  cache?: MaterialCache | false;
}

/**
 * What one value holds, independent of where it sits and of the clock: what is cached by
 * content. It holds no secret (KeyObjects stay in memory and are never printed).
 */
interface Analysis {
  findings: RawFinding[];
  certificates: CertificateFacts[];
  /**
   * The value's public key as SPKI DER, for the pair check, when the value holds the expected
   * kind. Bytes, not KeyObject.equals: comparing keys of two types with it leaves an error on
   * OpenSSL's queue that makes the next, unrelated key parse in the process fail.
   */
  publicKey?: Buffer;
}

/**
 * A bounded in-memory cache of analyses, keyed by everything an analysis depends on, with the
 * value and the password as SHA-256 digests: a long-lived cache (watch) holds no secret, and the
 * keys never leave memory.
 */
export class MaterialCache {
  readonly #entries = new Map<string, Analysis>();

  /** `maxEntries` bounds memory for a long-running watch whose material keeps changing. */
  constructor(private readonly maxEntries = 4096) {}

  /** The number of analyses held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The analysis for `key`, computed by `make` on a miss. */
  getOrAdd(key: string, make: () => Analysis): Analysis {
    const hit = this.#entries.get(key);
    if (hit) return hit;
    const made = make();
    // A budget verdict is about this run's time, not the value: a later run (watch) may afford it.
    if (made.findings.some((f) => f.code === 'keystore-check-budget')) return made;
    setBounded(this.#entries, key, made, this.maxEntries);
    return made;
  }

  /** Drops every analysis. */
  clear(): void {
    this.#entries.clear();
  }
}

const sharedCache = new MaterialCache();

/**
 * Inspects resolved secret values (SPEC §2c): key kinds, legacy pair matches, keystore
 * passwords and aliases, key strength, and the validity of every certificate found. Pure apart
 * from the in-memory cache; never throws on bad material; no message holds a secret.
 */
export function inspectMaterial(values: readonly MaterialValue[], options: InspectOptions): MaterialReport {
  const cache = options.cache === undefined ? sharedCache : options.cache;
  // Digests of the secrets met in this run, by the secret itself: 10,000 values that share a few
  // files hash each file once. The map is dropped with the run, so no secret outlives it.
  const digests = new Map<string, string>();
  const digest = (secret: string): string => {
    let d = digests.get(secret);
    if (d === undefined) digests.set(secret, (d = hash('sha256', secret, 'base64')));
    return d;
  };
  // This run's analyses by the value's text, then by what else the analysis depends on: 10,000
  // values that share a few files find theirs with one lookup by a string V8 has already hashed,
  // and build the full cache key (a digest of the value) only once per distinct value.
  const seen = new Map<string, Map<string, Analysis>>();
  const analyse = (value: MaterialValue): Analysis => {
    if (cache === false) return analyseValue(value);
    const text = value.value.reveal();
    let byParameters = seen.get(text);
    if (byParameters === undefined) seen.set(text, (byParameters = new Map<string, Analysis>()));
    const parameters = parametersKey(value, digest);
    let analysis = byParameters.get(parameters);
    if (analysis === undefined) {
      analysis = cache.getOrAdd(cacheKey(value, digest), () => analyseValue(value));
      byParameters.set(parameters, analysis);
    }
    return analysis;
  };
  const findings: MaterialFinding[] = [];
  const certificates: CertificateInfo[] = [];
  for (const value of values) {
    // `location` is read only where something is reported: finding a position can cost a parse.
    const { context } = value;
    const analysis = analyse(value);
    for (const raw of analysis.findings) findings.push({ ...raw, location: value.location, context });
    for (const facts of analysis.certificates) {
      // A getter in the literal (enumerable, as a spread or JSON.stringify needs it): cheaper than
      // Object.defineProperty on each of thousands of certificates.
      certificates.push({
        ...facts,
        context,
        get location() {
          return value.location;
        },
      });
      const expiry = expiryFinding(facts, options.now, options.expiryWarnDays);
      if (expiry) findings.push({ ...expiry, location: value.location, context });
    }
    const mismatch = pairFinding(value, analysis, analyse);
    if (mismatch) findings.push({ ...mismatch, location: value.location, context });
  }
  return { findings, certificates };
}

/** The pair check, run from the private half (or the public half when only it names the pair). */
function pairFinding(
  value: MaterialValue,
  analysis: Analysis,
  analyse: (v: MaterialValue) => Analysis,
): RawFinding | undefined {
  const partner = value.pairWith;
  if (!partner) return undefined;
  const fromPrivate = value.role === 'key-pair-private' && partner.role === 'key-pair-public';
  const fromPublic = value.role === 'key-pair-public' && partner.role === 'key-pair-private' && !partner.pairWith;
  if (!fromPrivate && !fromPublic) return undefined;
  const other = analyse(partner);
  if (!analysis.publicKey || !other.publicKey || analysis.publicKey.equals(other.publicKey)) return undefined;
  const where = `${partner.location.path || 'the other half'} (line ${partner.location.line})`;
  return {
    code: 'key-pair-mismatch',
    severity: 'error',
    message:
      `this ${fromPrivate ? 'private' : 'public'} key does not match the ${fromPrivate ? 'public' : 'private'} ` +
      `key at ${where}: put both halves of the same key pair here`,
  };
}

/** Everything an analysis depends on but the value itself, with the password as its digest. */
function parametersKey(value: MaterialValue, digest: (secret: string) => string): string {
  const ks = value.keystore;
  // Most values are keys with no parameters: their key needs no JSON (and cannot collide with it).
  if (ks === undefined && value.algorithm === undefined) return `${value.role} ${value.form}`;
  const password = ks?.password === undefined ? undefined : digest(ks.password.reveal());
  // JSON keeps the parts apart (an alias cannot run into a type) and tells absent from empty.
  return JSON.stringify([value.role, value.form, ks?.type, password, ks?.alias, value.algorithm]);
}

/** The shared cache's key: the parameters and the value's digest (no secret is kept as a key). */
function cacheKey(value: MaterialValue, digest: (secret: string) => string): string {
  return `${digest(value.value.reveal())}${parametersKey(value, digest)}`;
}

/** The analysis of one value, by role; a check that throws becomes a warning, never a crash. */
function analyseValue(value: MaterialValue): Analysis {
  try {
    return analyseByRole(value);
  } catch {
    // The error text is left out: a library's message may quote the bytes it choked on.
    return {
      findings: [
        {
          code: 'material-unchecked',
          severity: 'warning',
          message: 'this value could not be checked (the check failed unexpectedly): please report it',
        },
      ],
      certificates: [],
    };
  }
}

function analyseByRole(value: MaterialValue): Analysis {
  const bytes = Buffer.from(value.value.reveal(), 'base64');
  switch (value.role) {
    case 'secret-key':
      return { findings: secretKeyFindings(bytes, value.algorithm), certificates: [] };
    case 'keystore':
      return analyseKeystore(bytes, value);
    default:
      return analyseKey(bytes, value);
  }
}

const FIELD: Record<Exclude<MaterialRole, 'secret-key' | 'keystore'>, string> = {
  'private-key': 'this PRIVATE_KEY content',
  'public-key': 'this PUBLIC_KEY content',
  'key-pair-private': 'this privateKey',
  'key-pair-public': 'this publicKey',
};

function analyseKey(bytes: Buffer, value: MaterialValue): Analysis {
  const role = value.role as keyof typeof FIELD;
  const field = FIELD[role];
  const wantPrivate = role === 'private-key' || role === 'key-pair-private';
  const legacy = value.form === 'legacy';
  const parsed = parseKeyMaterial(bytes);
  const findings: RawFinding[] = [];
  const expected = wantPrivate ? 'a private key' : 'a public key or a certificate';
  const pemHint = wantPrivate
    ? '-----BEGIN PRIVATE KEY-----'
    : '-----BEGIN PUBLIC KEY----- or -----BEGIN CERTIFICATE-----';
  const found = parsed.privateKeys.length + parsed.publicKeys.length + parsed.certificates.length;

  if (found === 0 && parsed.encryptedKeys === 0) {
    findings.push(
      legacy
        ? {
            code: 'material-unrecognised',
            severity: 'warning',
            message:
              `${field} could not be read as ${expected} in PEM or DER; the server may still accept it, ` +
              'but check that the value is the intended file',
          }
        : {
            code: 'material-unparseable',
            severity: 'error',
            message: `${field} is not ${expected} in PEM form: give a PEM file that starts with ${pemHint}`,
          },
    );
    return { findings, certificates: [] };
  }
  if (!legacy && parsed.encoding === 'der') {
    findings.push({
      code: 'material-not-pem',
      severity: 'error',
      message:
        `${field} is DER, and the API requires PEM: convert it, e.g. ` +
        `\`openssl ${parsed.certificates.length > 0 ? 'x509' : parsed.privateKeys.length > 0 ? 'pkey' : 'pkey -pubin'} -inform DER -in FILE -out FILE.pem\``,
    });
  }

  let publicKey: KeyObject | undefined;
  if (wantPrivate) {
    const [key] = parsed.privateKeys;
    if (key) publicKey = createPublicKey(key);
    else if (parsed.encryptedKeys > 0) findings.push(encryptedFinding(field));
    else {
      findings.push({
        code: 'key-wrong-kind',
        severity: 'error',
        message:
          `${field} holds ${parsed.certificates.length > 0 ? 'a certificate' : 'a public key'} where a private key ` +
          `belongs: put the private key here (${pemHint}); the public half belongs in a public key field`,
      });
    }
  } else if (parsed.privateKeys.length > 0 || parsed.encryptedKeys > 0) {
    findings.push({
      code: 'key-wrong-kind',
      severity: 'error',
      message:
        `${field} holds a private key where a public key or certificate belongs: put only the public key ` +
        'or certificate here, and keep the private key in a private key field',
    });
  } else {
    publicKey = parsed.publicKeys[0] ?? parsed.certificates[0]?.publicKey;
  }

  // Strength of each distinct key, once per message (a key and its certificate say the same).
  const strength = new Map<string, RawFinding>();
  const keys = [...parsed.privateKeys, ...parsed.publicKeys, ...parsed.certificates.map((c) => c.publicKey)];
  for (const key of keys) for (const f of keyStrengthFindings(key, field)) strength.set(f.message, f);
  findings.push(...strength.values());
  const certificates = parsed.certificates.map((c) => certificateFacts(c));
  if (!publicKey) return { findings, certificates };
  return { findings, certificates, publicKey: publicKey.export({ format: 'der', type: 'spki' }) };
}

function encryptedFinding(field: string): RawFinding {
  return {
    code: 'key-encrypted',
    severity: 'warning',
    message:
      `${field} is an encrypted private key, which cannot be checked without its passphrase: ` +
      'make sure the gateway is given the passphrase, or store the key unencrypted (openssl pkey -in KEY -out KEY.pem)',
  };
}

// Key lengths each algorithm accepts, in bytes (DESede: two- or three-key triple DES).
const SECRET_KEY_LENGTHS: Record<string, number[]> = { AES: [16, 24, 32], DES: [8], DESede: [16, 24] };

function secretKeyFindings(bytes: Buffer, algorithm: string | undefined): RawFinding[] {
  const lengths = algorithm === undefined ? undefined : SECRET_KEY_LENGTHS[algorithm];
  if (!lengths || lengths.includes(bytes.length)) return [];
  const pem = bytes.subarray(0, 11).toString('latin1') === '-----BEGIN ';
  return [
    {
      code: 'secret-key-length',
      severity: 'warning',
      message:
        `this ${algorithm} secret key is ${bytes.length} bytes long, and ${algorithm} keys are ` +
        `${lengths.join(', ')} bytes` +
        (pem
          ? ': it looks like PEM text; a SECRET_KEY content is the raw key bytes (a PEM belongs in PRIVATE_KEY or PUBLIC_KEY)'
          : ': check that the value holds the raw key bytes, not their hex or base64 text'),
    },
  ];
}

function analyseKeystore(bytes: Buffer, value: MaterialValue): Analysis {
  const findings: RawFinding[] = [];
  const certificates: CertificateFacts[] = [];
  const detected = detectKeystoreFormat(bytes);
  const params = value.keystore ?? {};
  if (value.form === 'legacy') {
    // No password in the legacy API: the format is all that can be checked.
    if (detected !== 'JKS' && detected !== 'PKCS12') {
      findings.push({
        code: 'keystore-unknown-format',
        severity: 'warning',
        message:
          `this keystore is ${detected === 'JCEKS' ? 'a JCEKS store' : 'neither a JKS nor a PKCS12 file'}: ` +
          'check that the value is the intended keystore file (a .jks or .p12 file, as bytes)',
      });
    }
    return { findings, certificates };
  }
  // A current-form keystore without a password is a schema error, reported elsewhere.
  if (params.password === undefined) return { findings, certificates };
  const declared = normaliseType(params.type);
  if (declared === undefined) {
    findings.push({
      code: 'keystore-unchecked',
      severity: 'warning',
      message:
        `this keystore's type ${JSON.stringify(params.type ?? '')} cannot be checked here (only JKS and PKCS12 ` +
        'can): its password, alias and certificates were not verified',
    });
    return { findings, certificates };
  }
  if (detected !== 'JKS' && detected !== 'PKCS12') {
    findings.push({
      code: 'keystore-unreadable',
      severity: 'error',
      message:
        `this keystore is ${detected === 'JCEKS' ? 'a JCEKS store' : 'neither a JKS nor a PKCS12 file'}, ` +
        `and its type says ${declared}: give the ${declared} keystore file itself (as bytes)`,
    });
    return { findings, certificates };
  }
  if (detected !== declared) {
    findings.push({
      code: 'keystore-type-mismatch',
      severity: 'error',
      message: `this keystore file is ${detected}, but its type says ${declared}: set type: ${detected}`,
    });
  }
  const opened = openKeystore(bytes, detected, params.password.reveal());
  if (!opened.ok) {
    findings.push(
      opened.reason === 'costly' ? budgetFinding(opened.request.iterations) : openFailure(opened.reason, detected),
    );
    return { findings, certificates };
  }
  const aliases = opened.entries.map((e) => e.alias);
  // Java folds aliases to lower case in both JKS and PKCS12 stores, so the gateway finds them so.
  if (params.alias !== undefined && !aliases.some((a) => a.toLowerCase() === params.alias?.toLowerCase())) {
    findings.push({
      code: 'keystore-alias-missing',
      severity: 'error',
      message:
        `alias ${JSON.stringify(params.alias)} names no entry of this keystore, which holds ` +
        `${listAliases(aliases)}: set alias to one of them, or leave it out`,
    });
  }
  const found: { der: Buffer; alias?: string; trusted: boolean }[] = [
    ...opened.entries.flatMap((e) => e.certificates.map((der) => ({ der, alias: e.alias, trusted: e.trusted }))),
    ...opened.unnamedCertificates.map((der) => ({ der, trusted: opened.unnamedTrusted })),
  ];
  const strength = new Map<string, RawFinding>();
  for (const { der, alias, trusted } of found) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(der);
    } catch {
      continue; // a certificate type Node cannot read: nothing to judge
    }
    certificates.push(certificateFacts(certificate, alias, trusted));
    const what = `the certificate${alias === undefined ? '' : ` in keystore entry ${JSON.stringify(alias)}`}`;
    for (const f of keyStrengthFindings(certificate.publicKey, what)) strength.set(f.message, f);
  }
  findings.push(...strength.values());
  return { findings, certificates };
}

function normaliseType(type: string | undefined): KeystoreFormat | undefined {
  const t = (type ?? '').toUpperCase().replace(/[^A-Z0-9]/g, '');
  return t === 'JKS' ? 'JKS' : t === 'PKCS12' ? 'PKCS12' : undefined;
}

function openFailure(reason: OpenFailure, format: KeystoreFormat): RawFinding {
  switch (reason) {
    case 'wrong-password-or-encoding':
      return {
        code: 'keystore-wrong-password',
        severity: 'error',
        message:
          `this ${format} keystore does not open with its password: wrong password or unsupported encoding ` +
          '(the password has non-ASCII characters, which tools encode differently; it was tried as UTF-8, as ' +
          'OpenSSL 1.x and as forge write it). Check the password, or re-create the store with an ASCII password',
      };
    case 'wrong-password':
      return {
        code: 'keystore-wrong-password',
        severity: 'error',
        message:
          `this ${format} keystore does not open with its password: set password to the store's password ` +
          '(check the file or environment variable it comes from)',
      };
    case 'unsupported':
      return {
        code: 'keystore-unchecked',
        severity: 'warning',
        message:
          `this ${format} keystore uses an encryption this tool cannot read: its password, alias and ` +
          'certificates were not verified',
      };
    default:
      return {
        code: 'keystore-unreadable',
        severity: 'error',
        message:
          `this ${format} keystore could not be read with its password (the file is damaged, or, ` +
          'for a store without an integrity check, the password is wrong): give an intact file and its password',
      };
  }
}

/**
 * A PKCS12 store whose key derivation did not fit the time budget of the checks (derive.ts): not
 * opened, so not judged either way; the server decides. Said quickly, never after minutes of CPU.
 */
function budgetFinding(iterations: number): RawFinding {
  return {
    code: 'keystore-check-budget',
    severity: 'warning',
    message:
      `this PKCS12 keystore asks for ${iterations.toLocaleString('en-US')} iterations of key derivation, more ` +
      'than the material checks spend on one file (or than was left of their time in this run): its password, ' +
      'alias and certificates were not verified. Stores from keytool and OpenSSL use 2,048 to 10,000; ' +
      're-create it with fewer, or pass --skip-material-checks',
  };
}

function listAliases(aliases: readonly string[]): string {
  if (aliases.length === 0) return 'no named entry';
  const shown = [...aliases]
    .sort()
    .slice(0, 20)
    .map((a) => JSON.stringify(a));
  const more = aliases.length > 20 ? ` and ${aliases.length - 20} more` : '';
  return `${aliases.length === 1 ? 'one entry' : `${aliases.length} entries`}: ${shown.join(', ')}${more}`;
}

// Pure: the public facts of X.509 certificates (subject, issuer, serial, validity) and the
// findings about their dates (expired, expiring, not yet valid).
import type { KeyObject, X509Certificate } from 'node:crypto';
import type { MaterialFindingCode } from './types.js';
import { plural } from '../text.js';

/** A certificate's public facts, without the certificate itself (safe to cache and print). */
export interface CertificateFacts {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  alias?: string;
  /** From a trusted certificate entry of a keystore (a truststore's CA): its expiry is a warning. */
  trusted?: boolean;
}

/** A finding before it is placed at a value's location. */
export interface RawFinding {
  code: MaterialFindingCode;
  severity: 'error' | 'warning';
  message: string;
  /**
   * A finding about time alone (expired, not yet valid) that must block a write sending this
   * material in plan, apply and watch, yet not a write elsewhere (SPEC §2c). Trusted entries never.
   */
  blocksWrite?: boolean;
}

const DAY_MS = 86_400_000;

/** The public facts of a certificate: subject, issuer, serial and validity dates. */
export function certificateFacts(certificate: X509Certificate, alias?: string, trusted?: boolean): CertificateFacts {
  const facts: CertificateFacts = {
    // Node prints one attribute per line; one line reads better in a diagnostic.
    subject: certificate.subject.split('\n').join(', '),
    issuer: certificate.issuer.split('\n').join(', '),
    serial: certificate.serialNumber,
    // Node 20 has no validFromDate; its date strings ("Jan  1 00:00:00 2125 GMT") parse exactly.
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
  };
  if (alias !== undefined) facts.alias = alias;
  if (trusted === true) facts.trusted = true;
  return facts;
}

/** How a certificate is named in a message: its subject, serial, issuer and keystore entry. */
export function describeCertificate(facts: CertificateFacts): string {
  const issuer = facts.issuer === facts.subject ? 'self-signed' : `issued by "${facts.issuer}"`;
  const entry = facts.alias === undefined ? '' : ` in keystore entry "${facts.alias}"`;
  return `certificate "${facts.subject}" (serial ${facts.serial}, ${issuer})${entry}`;
}

/** The date part of an instant, in UTC: the form dates take in every message. */
export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The expiry rule of SPEC §2c for one certificate at `now`: expired is an error (a warning for a
 * trusted entry: truststores routinely carry old CAs), not yet valid or expiring within `warnDays`
 * days a warning, otherwise nothing.
 */
export function expiryFinding(facts: CertificateFacts, now: Date, warnDays: number): RawFinding | undefined {
  const what = describeCertificate(facts);
  const left = facts.notAfter.getTime() - now.getTime();
  if (left <= 0) {
    const ago = Math.floor(-left / DAY_MS);
    if (facts.trusted === true)
      return {
        code: 'certificate-expired',
        severity: 'warning',
        message:
          `trusted ${what} expired on ${isoDate(facts.notAfter)}${ago > 0 ? `, ${plural(ago, 'day')} ago` : ''}: ` +
          'a truststore may keep an old CA, but remove it once nothing is signed by it any more',
      };
    return {
      code: 'certificate-expired',
      severity: 'error',
      blocksWrite: true,
      message:
        `${what} expired on ${isoDate(facts.notAfter)}${ago > 0 ? `, ${plural(ago, 'day')} ago` : ''}: ` +
        'replace it with a renewed certificate',
    };
  }
  if (now.getTime() < facts.notBefore.getTime()) {
    return {
      code: 'certificate-not-yet-valid',
      severity: 'warning',
      // Sent now, clients reject it until then: refused like an expired one where a write sends
      // it (SPEC §2c "expired (or not yet valid)"); validate keeps it a warning. A truststore may
      // hold a CA that is not valid yet without harm.
      ...(facts.trusted === true ? {} : { blocksWrite: true }),
      message:
        `${what} is not valid before ${isoDate(facts.notBefore)}: clients reject it until then; ` +
        'use a certificate that is valid now, or check the clock of the machine that made it',
    };
  }
  if (left <= warnDays * DAY_MS) {
    return {
      code: 'certificate-expiring',
      severity: 'warning',
      message:
        `${what} expires on ${isoDate(facts.notAfter)}, in ${plural(Math.ceil(left / DAY_MS), 'day')}: ` +
        'renew it and update this value before then',
    };
  }
  return undefined;
}

// The curves every TLS and JOSE client supports (NIST P-256, P-384, P-521), by Node's names.
const STRONG_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
const CURVE_NAMES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** Warnings about a key's strength: RSA under 2048 bits, EC off the NIST curves. */
export function keyStrengthFindings(key: KeyObject, what: string): RawFinding[] {
  const details = key.asymmetricKeyDetails ?? {};
  const type = key.asymmetricKeyType;
  if ((type === 'rsa' || type === 'rsa-pss') && details.modulusLength !== undefined && details.modulusLength < 2048) {
    return [
      {
        code: 'key-weak-rsa',
        severity: 'warning',
        message: `${what} is an RSA key of ${details.modulusLength} bits: use a key of at least 2048 bits`,
      },
    ];
  }
  if (type === 'ec' && details.namedCurve !== undefined && !STRONG_CURVES.has(details.namedCurve)) {
    return [
      {
        code: 'key-weak-curve',
        severity: 'warning',
        message:
          `${what} is an EC key on curve ${CURVE_NAMES[details.namedCurve] ?? details.namedCurve}: ` +
          'use P-256, P-384 or P-521, which every TLS and JOSE client supports',
      },
    ];
  }
  return [];
}

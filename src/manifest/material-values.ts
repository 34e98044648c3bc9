// Pure: the resolved secrets of a DesiredState as the material checks' input (SPEC §2c), and
// their findings as diagnostics. The roles come from the manifest form and the field a value sits
// in, so the engine in src/material/ never names a kind or a field.
import type { Diagnostic } from '../diagnostics.js';
import { descriptorOf } from '../kinds/index.js';
import type { MaterialFinding, MaterialForm, MaterialRole, MaterialValue } from '../material/index.js';
import { fieldValue, resourceLabel, type DesiredResource, type DesiredState } from '../model.js';
import type { Secret } from '../secret.js';
import { formatPath } from './validate.js';

/** Certificates expiring within this many days are warnings unless told otherwise (`--expiry-warn-days`). */
export const DEFAULT_EXPIRY_WARN_DAYS = 30;

/** The role a current-form Key's `content` has, by its `keyType`. */
const CONTENT_ROLE: Readonly<Record<string, MaterialRole>> = {
  PRIVATE_KEY: 'private-key',
  PUBLIC_KEY: 'public-key',
  SECRET_KEY: 'secret-key',
};

/** Every resolved secret value of `state` that the material checks can inspect, located in its manifest. */
export function materialValues(state: DesiredState): MaterialValue[] {
  const out: MaterialValue[] = [];
  for (const resource of state.resources) {
    if (resource.kind === 'Key') out.push(...keyValues(resource));
    else if (resource.kind === 'Keystore') out.push(...keystoreValues(resource));
  }
  return out;
}

function secretAt(holder: object, name: string): Secret | undefined {
  const v = fieldValue(holder, name);
  return v !== undefined && v !== null && typeof (v as Secret).reveal === 'function' ? (v as Secret) : undefined;
}

function plainAt(holder: object, name: string): string | undefined {
  const v = fieldValue(holder, name);
  return typeof v === 'string' ? v : undefined;
}

/** A value of environment `i`'s field `field`, with its location and context filled in. */
function valueOf(
  resource: DesiredResource,
  form: MaterialForm,
  i: number,
  field: string,
  role: MaterialRole,
  secret: Secret,
  extra: Partial<Pick<MaterialValue, 'algorithm' | 'keystore'>> = {},
): MaterialValue {
  const path = ['spec', 'environments', i, field];
  const env = resource.environments[i];
  // Built here, not spread from later: a spread would read the lazy location below.
  const value = {
    ...extra,
    role,
    form,
    base64: secret.reveal(),
    context: { project: resource.project, kind: resource.kind, name: resource.name, environment: env?.name ?? '' },
  } as MaterialValue;
  // Finding a value's line costs a second parse of its file: only for values something is said of.
  let location: MaterialValue['location'] | undefined;
  Object.defineProperty(value, 'location', {
    enumerable: true,
    get: () => {
      if (location === undefined) {
        const at = resource.locate ? resource.locate(path) : resource.source;
        location = { file: at.file, line: at.line, column: at.column, path: formatPath(path) };
      }
      return location;
    },
  });
  return value;
}

function keyValues(resource: DesiredResource): MaterialValue[] {
  const form = descriptorOf(resource.kind).formOf(resource);
  const out: MaterialValue[] = [];
  resource.environments.forEach((env, i) => {
    if (form === 'current') {
      const content = secretAt(env, 'content');
      const role = CONTENT_ROLE[plainAt(resource, 'keyType') ?? ''];
      if (!content || !role) return;
      const algorithm = plainAt(resource, 'algorithm');
      out.push(
        valueOf(
          resource,
          form,
          i,
          'content',
          role,
          content,
          role === 'secret-key' && algorithm !== undefined ? { algorithm } : {},
        ),
      );
      return;
    }
    const pub = secretAt(env, 'publicKey');
    const priv = secretAt(env, 'privateKey');
    if (plainAt(resource, 'keyType') === 'SECRET_KEY') {
      // A legacy secret key sits in privateKey (or publicKey) as raw bytes: no PEM or DER to parse.
      if (priv) out.push(valueOf(resource, form, i, 'privateKey', 'secret-key', priv));
      if (pub) out.push(valueOf(resource, form, i, 'publicKey', 'secret-key', pub));
      return;
    }
    if (pub && priv) {
      const publicValue = valueOf(resource, form, i, 'publicKey', 'key-pair-public', pub);
      const privateValue = valueOf(resource, form, i, 'privateKey', 'key-pair-private', priv);
      publicValue.pairWith = privateValue;
      privateValue.pairWith = publicValue;
      out.push(publicValue, privateValue);
    } else if (pub) {
      out.push(valueOf(resource, form, i, 'publicKey', 'public-key', pub));
    } else if (priv) {
      out.push(valueOf(resource, form, i, 'privateKey', 'private-key', priv));
    }
  });
  return out;
}

function keystoreValues(resource: DesiredResource): MaterialValue[] {
  const form = descriptorOf(resource.kind).formOf(resource);
  const out: MaterialValue[] = [];
  resource.environments.forEach((env, i) => {
    const file = secretAt(env, 'file');
    if (!file) return;
    const type = plainAt(env, 'type');
    const password = secretAt(env, 'password')?.reveal();
    const alias = plainAt(env, 'alias');
    out.push(
      valueOf(resource, form, i, 'file', 'keystore', file, {
        keystore: {
          ...(type !== undefined ? { type } : {}),
          ...(password !== undefined ? { password } : {}),
          ...(alias !== undefined ? { alias } : {}),
        },
      }),
    );
  });
  return out;
}

/** A material finding as a diagnostic at its value's file:line:col (messages hold no secret). */
export function findingToDiagnostic(f: MaterialFinding): Diagnostic {
  return {
    code: f.code,
    severity: f.severity,
    message: f.message,
    file: f.location.file,
    line: f.location.line,
    column: f.location.column,
    path: f.location.path,
    resource: resourceLabel({ kind: f.context.kind, project: f.context.project, name: f.context.name }),
  };
}

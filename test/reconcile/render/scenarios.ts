// The plans and reports the golden tests pin, built from the builders through the real buildPlan,
// so a change in planning shows up in the goldens too.
import type { Diagnostic } from '../../../src/diagnostics.js';
import type { CurrentResource, DesiredState } from '../../../src/model.js';
import { buildPlan, listScopes } from '../../../src/reconcile/plan.js';
import type { Plan, Report } from '../../../src/reconcile/types.js';
import {
  aCurrentKey,
  aCurrentKeystore,
  aKey,
  aKeystore,
  aSource,
  currentOf,
  desiredState,
  keystoreFileFor,
  privateKeyFor,
  publicKeyFor,
} from '../../support/builders.js';

const SERVER = 'https://manager.example.com';
const CREATED_AT = '2024-05-01T10:00:00.000Z';

function plan(
  desired: DesiredState,
  current: CurrentResource[],
  options: { prune?: boolean; diagnostics?: Diagnostic[]; extraProjects?: string[] } = {},
): Plan {
  const scopeOptions = {
    prune: options.prune ?? false,
    allowEmptyPrune: false,
    extraProjects: options.extraProjects ?? [],
  };
  return buildPlan({
    desired,
    current,
    scopes: listScopes(desired, scopeOptions),
    ...scopeOptions,
    server: SERVER,
    createdAt: CREATED_AT,
    ...(options.diagnostics ? { diagnostics: options.diagnostics } : {}),
  });
}

/** Everything matches; one keystore's file is masked by the server (an unknown field on a noop). */
export function noChanges(): Plan {
  const key = aKey();
  const other = aKey({ name: 'orders-signing', project: 'Identity' });
  const store = aKeystore();
  return plan(desiredState(key, other, store), [currentOf(key), currentOf(other), currentOf(store, 'masked')]);
}

/** An empty server: every resource is a create. */
export function createsOnly(): Plan {
  return plan(
    desiredState(
      aKey(),
      aKey({
        name: 'webhook-hmac',
        keyType: 'SECRET_KEY',
        description: '',
        environments: [{ name: 'production', privateKey: privateKeyFor('production', 'webhook-hmac') }],
      }),
      aKeystore(),
    ),
    [],
  );
}

/** Updates of every sort, creates, deletes under prune, noops, a prune warning, and hostile text. */
export function mixed(): Plan {
  const signing = aKey({
    description: 'Signs payment callbacks | v2 <b>bold</b> `code` @octocat [link](http://x) *stars*',
    source: aSource('keys/payments.yaml', 3, 1),
    environments: [
      { name: 'production', publicKey: publicKeyFor('production'), privateKey: privateKeyFor('rotated') },
      { name: 'staging', publicKey: publicKeyFor('staging') },
    ],
  });
  const signingOnServer = aCurrentKey({
    description: 'Signs payment callbacks',
    environments: [
      { name: 'production', publicKey: publicKeyFor('production'), privateKey: privateKeyFor('production') },
      { name: 'test', publicKey: publicKeyFor('test') },
    ],
  });
  const verify = aKey({ name: 'partner-verify', keyType: 'EC', source: aSource('keys/payments.yaml', 20, 1) });
  const verifyOnServer = currentOf(aKey({ name: 'partner-verify', keyType: 'RSA' }), 'masked');
  const unchanged = aKey({ name: 'refunds-signing', source: aSource('keys/payments.yaml', 37, 1) });
  const store = aKeystore({
    environments: [{ name: 'production', type: 'JKS', file: keystoreFileFor('production') }],
    source: aSource('keystores/partner.yaml', 1, 1),
  });
  const newKey = aKey({
    name: 'audit-log',
    project: 'Payments',
    description: 'Audit log encryption',
    source: aSource('keys/audit.yaml', 1, 1),
  });
  return plan(
    desiredState(signing, verify, unchanged, store, newKey),
    [
      signingOnServer,
      verifyOnServer,
      currentOf(unchanged),
      aCurrentKeystore(),
      aCurrentKey({ name: 'legacy-signing', description: 'Old key, replaced in 2023' }),
      aCurrentKeystore({ name: 'old-truststore' }),
    ],
    { prune: true, extraProjects: ['Identity'] },
  );
}

/** Planning found errors (unknown environment, unknown project) and a manifest warning. */
export function validationErrors(): Plan {
  const diagnostics: Diagnostic[] = [
    {
      code: 'unknown-environment',
      severity: 'error',
      file: 'keys/payments.yaml',
      line: 3,
      column: 1,
      path: 'spec.environments[1].name',
      resource: 'Key Payments/payments-signing',
      message: 'environment "staging" does not exist in project Payments (it has: production, test)',
    },
    {
      code: 'unknown-project',
      severity: 'error',
      file: 'keystores/partner.yaml',
      line: 1,
      column: 1,
      path: 'metadata.project',
      resource: 'Keystore Payment/partner-mtls',
      message: 'project "Payment" does not exist on the server (check metadata.project, --project or APINIZER_PROJECT)',
    },
    {
      code: 'inline-private-key',
      severity: 'warning',
      file: 'keys/inline.yaml',
      line: 12,
      column: 7,
      path: 'spec.environments[0].privateKey',
      resource: 'Key Payments/inline',
      message: 'private key material written in the manifest; prefer fromFile or fromEnv',
    },
  ];
  return plan({ resources: [], projects: [] }, [], { diagnostics });
}

/** 150 updated keys with long descriptions: far more than one pull-request comment holds. */
export function tooBig(): Plan {
  const desired: ReturnType<typeof aKey>[] = [];
  const current: CurrentResource[] = [];
  for (let i = 0; i < 150; i++) {
    const name = `key-${String(i).padStart(3, '0')}`;
    desired.push(aKey({ name, description: `New description of ${name}: ${'lorem ipsum '.repeat(10)}` }));
    current.push(aCurrentKey({ name, description: `Old description of ${name}: ${'dolor sit amet '.repeat(8)}` }));
  }
  return plan(desiredState(...desired), current);
}

/** An apply report with every outcome: ok, switched both ways, not deployed, failed, skipped. */
export function report(): Report {
  const base = { kind: 'Key' as const, project: 'Payments', deployment: [], error: null, switchedTo: null };
  return {
    server: SERVER,
    startedAt: '2024-05-01T10:05:00.000Z',
    finishedAt: '2024-05-01T10:05:03.250Z',
    interrupted: true,
    summary: { created: 2, updated: 2, deleted: 1, unchanged: 1, failed: 1, notDeployed: 1, skipped: 1 },
    results: [
      {
        ...base,
        action: 'create',
        name: 'audit-log',
        outcome: 'ok',
        deployment: [{ environment: 'production', success: true, message: 'deployed' }],
      },
      { ...base, action: 'create', name: 'payments-signing', outcome: 'ok', switchedTo: 'update' },
      { ...base, action: 'update', name: 'partner-verify', outcome: 'ok', switchedTo: 'create' },
      { ...base, action: 'noop', name: 'refunds-signing', outcome: 'ok' },
      {
        ...base,
        kind: 'Keystore',
        action: 'update',
        name: 'partner-mtls',
        outcome: 'not-deployed',
        deployment: [
          { environment: 'production', success: true, message: 'deployed' },
          { environment: 'test', success: false, message: 'Gateway pod unreachable' },
        ],
      },
      {
        ...base,
        action: 'update',
        name: 'orders-signing',
        outcome: 'failed',
        error: {
          kind: 'forbidden',
          status: 403,
          message: 'Access is denied.',
          hint: 'The token needs the role ROLE_API_SECURITY.',
        },
      },
      { ...base, action: 'delete', name: 'legacy-signing', outcome: 'ok' },
      {
        ...base,
        action: 'delete',
        name: 'old-signing',
        outcome: 'skipped',
        error: {
          kind: 'aborted',
          status: null,
          message: 'not attempted: interrupted by SIGTERM',
          hint: 'Run apply again to converge.',
        },
      },
    ],
  };
}

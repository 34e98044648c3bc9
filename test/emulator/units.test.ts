import { describe, expect, it } from 'vitest';
import { parseEmulatorConfig } from '../../src/emulator/config.js';
import { FaultInjector, mulberry32 } from '../../src/emulator/faults.js';
import { applyOptions } from '../../src/emulator/options.js';
import { matchRoute } from '../../src/emulator/routes.js';
import { REQUEST_LOG_LIMIT, StatsCounter } from '../../src/emulator/server.js';
import { EmulatorStore } from '../../src/emulator/store.js';

describe('matchRoute', () => {
  it.each([
    ['POST', '/apiops/auth/token', { op: 'token', template: 'POST /apiops/auth/token' }],
    ['POST', '/apiops/auth/token/', { op: 'token' }],
    ['GET', '/apiops/projects', { op: 'projects', template: 'GET /apiops/projects/' }],
    ['GET', '/apiops/environments/', { op: 'allEnvironments', template: 'GET /apiops/environments/' }],
    [
      'GET',
      '/apiops/environments/My%20Project',
      { op: 'environments', project: 'My Project', template: 'GET /apiops/environments/{project}' },
    ],
    [
      'GET',
      '/apiops/projects/P/keys/',
      { op: 'list', kind: 'Key', project: 'P', template: 'GET /apiops/projects/{project}/keys/' },
    ],
    [
      'POST',
      '/apiops/projects/P/keystores',
      { op: 'create', kind: 'Keystore', template: 'POST /apiops/projects/{project}/keystores/' },
    ],
    [
      'GET',
      '/apiops/projects/P/keys/a%2Fb/',
      { op: 'get', name: 'a/b', template: 'GET /apiops/projects/{project}/keys/{name}/' },
    ],
    [
      'PUT',
      '/apiops/projects/P/keys/N',
      { op: 'update', name: 'N', template: 'PUT /apiops/projects/{project}/keys/{name}/' },
    ],
    [
      'DELETE',
      '/apiops/projects/P/keystores/N/',
      { op: 'delete', kind: 'Keystore', template: 'DELETE /apiops/projects/{project}/keystores/{name}/' },
    ],
    ['PATCH', '/apiops/projects/P/keys/N/', { op: 'methodNotAllowed', allow: 'GET, PUT, DELETE' }],
    ['GET', '/apiops/projects/P/keys/N/extra/', { op: 'notFound' }],
    ['GET', '/apiops/projects//keys/', { op: 'notFound' }],
    ['GET', '/apiops/projects/P/jwks/', { op: 'notFound' }],
    ['GET', '/apiops/projects/%zz/keys/', { op: 'badEncoding' }],
    [
      'GET',
      '/apiops/projects/My%20P/environments/',
      { op: 'projectEnvironments', project: 'My P', template: 'GET /apiops/projects/{project}/environments/' },
    ],
    ['GET', '/apiops/projects/P/environments', { op: 'projectEnvironments' }],
    ['POST', '/apiops/projects/P/environments/', { op: 'methodNotAllowed', allow: 'GET' }],
    [
      'GET',
      '/apiops/projects/P/keys/k/export-file/',
      { op: 'exportFile', kind: 'Key', name: 'k', template: 'GET /apiops/projects/{project}/keys/{name}/export-file/' },
    ],
    ['GET', '/apiops/projects/P/keystores/s/export-file', { op: 'exportFile', kind: 'Keystore', name: 's' }],
    ['DELETE', '/apiops/projects/P/keys/k/export-file/', { op: 'methodNotAllowed', allow: 'GET' }],
    ['GET', '/apiops/projects/P/keys/k/export/', { op: 'notFound' }],
  ])('%s %s', (method, path, expected) => {
    expect(matchRoute(method, path)).toMatchObject(expected);
  });
});

describe('EmulatorStore', () => {
  it('fills server-only fields, keeps the id across replacement, and freezes what it stores', () => {
    const store = new EmulatorStore();
    const first = store.put('P', 'Key', {
      name: 'k',
      keyType: 'RSA',
      cryptoKeyInfoEnvironmentList: [{ environmentName: 'prod', publicKey: 'QQ==' }],
    });
    expect(first).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      projectId: expect.any(String),
      cryptoKeyInfoEnvironmentList: [{ environmentId: expect.any(String) }],
    });
    const second = store.put('P', 'Key', { name: 'k', keyType: 'EC', cryptoKeyInfoEnvironmentList: [] });
    expect(second.id).toBe(first.id);
    expect(store.get('P', 'Key', 'k')?.keyType).toBe('EC');
    expect(() => {
      (store.get('P', 'Key', 'k') as Record<string, unknown>).keyType = 'X';
    }).toThrow(TypeError);
    expect(store.get('P', 'Keystore', 'k')).toBeUndefined();
    expect(store.get('p', 'Key', 'k')).toBeUndefined();
  });

  it('keeps kinds and projects apart, lists in creation order, deletes and reports changes', () => {
    const store = new EmulatorStore();
    let changes = 0;
    store.onChange(() => changes++);
    store.put('A', 'Key', { name: 'b' });
    store.put('A', 'Key', { name: 'a' });
    store.put('A', 'Keystore', { name: 'a' });
    store.put('B', 'Key', { name: 'a' });
    expect(store.list('A', 'Key').map((o) => o.name)).toEqual(['b', 'a']);
    expect(store.size()).toBe(4);
    expect(store.delete('A', 'Key', 'b')?.name).toBe('b');
    expect(store.delete('A', 'Key', 'b')).toBeUndefined();
    expect(changes).toBe(5);
    expect(() => store.put('A', 'Key', { description: 'no name' })).toThrow(/name/);
  });

  it('round-trips through a snapshot', () => {
    const store = new EmulatorStore();
    store.put('A', 'Key', { name: 'k', id: '0123456789abcdef01234567' });
    store.put('A', 'Keystore', { name: 's' });
    const copy = new EmulatorStore();
    copy.load(JSON.parse(JSON.stringify(store.snapshot())));
    expect(copy.snapshot()).toEqual(store.snapshot());
    expect(copy.get('A', 'Key', 'k')?.id).toBe('0123456789abcdef01234567');
  });
});

describe('faults', () => {
  it('mulberry32 repeats for a seed and stays in [0, 1)', () => {
    const a = mulberry32(9);
    const b = mulberry32(9);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('FaultInjector faults about the rate asked for and never at rate 0', () => {
    const f = new FaultInjector(3);
    const n = 10_000;
    let faults = 0;
    for (let i = 0; i < n; i++) if (f.decide(0.25, ['500', '429'])) faults++;
    expect(faults / n).toBeGreaterThan(0.22);
    expect(faults / n).toBeLessThan(0.28);
    for (let i = 0; i < 100; i++) expect(f.decide(0, ['500'])).toBeNull();
    for (let i = 0; i < 100; i++) expect(f.decide(1, ['reset'])).toBe('reset');
  });
});

describe('options', () => {
  it.each([
    [{ failRate: 2 }, /failRate/],
    [{ failKinds: ['404'] }, /unknown fault "404"/],
    [{ dialect: 'soap' }, /dialect/],
    [{ projects: [{ name: '', environments: [] }] }, /name/],
    [{ latencyMs: -1 }, /latencyMs/],
    [{ port: 70000 }, /port/],
  ])('refuses %j', (options, message) => {
    expect(() => applyOptions(undefined, options as never)).toThrow(message);
  });
});

describe('parseEmulatorConfig', () => {
  it('reads YAML with map shorthands for projects and users', () => {
    const options = parseEmulatorConfig(
      'projects:\n  Payments: [production, test]\nusers:\n  admin: secret\ntoken: t0\nlatencyMs: 5\n',
      'emu.yaml',
    );
    expect(options).toEqual({
      projects: [{ name: 'Payments', environments: ['production', 'test'] }],
      users: [{ username: 'admin', password: 'secret' }],
      token: 't0',
      latencyMs: 5,
    });
  });

  it('reads JSON with list forms', () => {
    expect(
      parseEmulatorConfig('{"projects":[{"name":"A","environments":["x"]}],"dialect":"status"}', 'emu.json'),
    ).toEqual({
      projects: [{ name: 'A', environments: ['x'] }],
      dialect: 'status',
    });
  });

  it('reads the generation and its switches', () => {
    const text = 'generation: current\nrefuseExport: true\nkeystoreListEnvironmentIds: true\n';
    expect(parseEmulatorConfig(text, 'emu.yaml')).toEqual({
      generation: 'current',
      refuseExport: true,
      keystoreListEnvironmentIds: true,
    });
  });

  it.each([
    ['projects: [', /emu.yaml: not valid YAML/],
    ['- a list', /expected a mapping/],
    ['prjects: {}', /unknown field "prjects"/],
    ['failRate: lots', /emu.yaml: emulator option failRate/],
    ['projects:\n  A: production', /environments must be a list/],
    ['generation: next', /emulator option generation must be "legacy" or "current"/],
  ])('refuses %j naming the file and field', (text, message) => {
    expect(() => parseEmulatorConfig(text, 'emu.yaml')).toThrow(message);
  });
});

describe('StatsCounter request log', () => {
  it('stays bounded: when full it drops the older half and counts what it dropped', () => {
    const stats = new StatsCounter();
    const entry = (i: number) => ({ method: 'GET', path: `/p/${i}`, route: 'GET x', query: {}, status: 200 });
    for (let i = 0; i <= REQUEST_LOG_LIMIT; i++) stats.log(entry(i));
    const log = stats.requestLog();
    expect(log.total).toBe(REQUEST_LOG_LIMIT + 1);
    expect(log.dropped).toBe(REQUEST_LOG_LIMIT / 2);
    expect(log.requests).toHaveLength(REQUEST_LOG_LIMIT / 2 + 1);
    expect(log.requests.at(-1)!.path).toBe(`/p/${REQUEST_LOG_LIMIT}`);
    stats.reset();
    expect(stats.requestLog()).toEqual({ total: 0, dropped: 0, requests: [] });
  });
});

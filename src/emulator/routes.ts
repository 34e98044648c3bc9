// Pure: a request's method and path to the emulator route it means (or none).
import type { EmulatedKind as Kind } from './kinds.js';
import { kindOfSegment } from './kinds.js';

/** What a request path and method mean to the emulator. */
export type Route =
  | { op: 'token'; template: string }
  | { op: 'projects'; template: string }
  | { op: 'allEnvironments'; template: string }
  | { op: 'environments'; template: string; project: string }
  | { op: 'projectEnvironments'; template: string; project: string }
  | { op: 'list'; template: string; project: string; kind: Kind }
  | { op: 'create'; template: string; project: string; kind: Kind }
  | ObjectRoute<'get'>
  | ObjectRoute<'update'>
  | ObjectRoute<'delete'>
  | ObjectRoute<'exportFile'>
  | { op: 'methodNotAllowed'; template: string; allow: string }
  | { op: 'badEncoding'; template: string }
  | { op: 'notFound'; template: string };

/** A route to one named object: get, update, delete, or its export-file. */
export interface ObjectRoute<Op extends 'get' | 'update' | 'delete' | 'exportFile'> {
  op: Op;
  template: string;
  project: string;
  kind: Kind;
  name: string;
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * Matches a request path (without the query) to a route. Paths are accepted with or without the
 * documented trailing slash, as real servers do; the template (used for stats) is always the
 * documented form. Names are URL-decoded and stay case-sensitive.
 */
export function matchRoute(method: string, path: string): Route {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const parts = trimmed.split('/');
  // parts[0] is '' (the leading slash); parts[1] must be 'apiops'.
  const unmatched: Route = { op: 'notFound', template: `${method} (unmatched)` };
  if (parts[1] !== 'apiops' || parts.some((p, i) => i > 0 && p === '')) return unmatched;
  const [, , area, second, third, fourth, ...rest] = parts;
  const only = (allowed: string, route: Route): Route =>
    method === allowed
      ? route
      : {
          op: 'methodNotAllowed',
          template: `${method} ${route.template.slice(route.template.indexOf(' ') + 1)}`,
          allow: allowed,
        };

  if (area === 'auth' && second === 'token' && third === undefined) {
    return only('POST', { op: 'token', template: 'POST /apiops/auth/token' });
  }
  if (area === 'environments' && third === undefined) {
    if (second === undefined) return only('GET', { op: 'allEnvironments', template: 'GET /apiops/environments/' });
    const project = decode(second);
    if (project === null) return { op: 'badEncoding', template: `${method} /apiops/environments/{project}` };
    return only('GET', { op: 'environments', template: 'GET /apiops/environments/{project}', project });
  }
  if (area !== 'projects') return unmatched;
  if (second === undefined) return only('GET', { op: 'projects', template: 'GET /apiops/projects/' });
  const project = decode(second);
  if (third === 'environments' && fourth === undefined) {
    // Matched in both generations (so stats count the probe); a legacy server answers it 404.
    const template = 'GET /apiops/projects/{project}/environments/';
    if (project === null) return { op: 'badEncoding', template: `${method} ${template.slice(4)}` };
    return only('GET', { op: 'projectEnvironments', template, project });
  }
  const kind = kindOfSegment(third);
  if (kind === undefined) return unmatched;
  const kindPath = `/apiops/projects/{project}/${third}/`;
  if (fourth !== undefined && rest.length === 1 && rest[0] === 'export-file') {
    const template = `GET ${kindPath}{name}/export-file/`;
    const name = decode(fourth);
    if (project === null || name === null) return { op: 'badEncoding', template };
    return only('GET', { op: 'exportFile', template, project, kind, name });
  }
  if (rest.length > 0) return unmatched;
  if (fourth === undefined) {
    const template = `${method} ${kindPath}`;
    if (project === null) return { op: 'badEncoding', template };
    if (method === 'GET') return { op: 'list', template, project, kind };
    if (method === 'POST') return { op: 'create', template, project, kind };
    return { op: 'methodNotAllowed', template, allow: 'GET, POST' };
  }
  const template = `${method} ${kindPath}{name}/`;
  const name = decode(fourth);
  if (project === null || name === null) return { op: 'badEncoding', template };
  if (method === 'GET') return { op: 'get', template, project, kind, name };
  if (method === 'PUT') return { op: 'update', template, project, kind, name };
  if (method === 'DELETE') return { op: 'delete', template, project, kind, name };
  return { op: 'methodNotAllowed', template, allow: 'GET, PUT, DELETE' };
}

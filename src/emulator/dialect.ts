/**
 * The two response dialects seen from Apinizer installations (docs/apinizer-api.md):
 * - documented: `{"success": true, ...}`, errors `{"error": CODE, "error_description": TEXT}` with
 *   the HTTP status the docs give;
 * - status: `{"status": "SUCCESS", "resultList": [...], "resultCount": N}`, and request errors as
 *   HTTP 400 `{"status": "FAILURE", "resultMessage": TEXT}` (a missing object included).
 * Every answer is serialised here, once.
 */
export type Dialect = 'documented' | 'status';

/** An HTTP answer ready to send: status, JSON text (or file bytes, content-type in headers), extra headers. */
export interface Answer {
  status: number;
  body: string | Buffer;
  headers?: Record<string, string>;
}

/** One entry of a deployment result. */
export interface EnvironmentResult {
  environmentName: string;
  success: boolean;
  message: string;
}

/** The `deploymentResult` every write answer carries. */
export interface DeploymentResult {
  success: boolean;
  message: string;
  environmentResults: EnvironmentResult[];
}

/** An API error before it is put in a dialect: the documented status, code and text. */
export interface ApiFailure {
  status: number;
  error: string;
  description: string;
  /** Extra fields of the documented body, e.g. `validation_errors` or `retry_after`. */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  /**
   * Answered by the web framework before the API (an unmapped path): the status stays as it is in
   * every dialect. A legacy server answers the current-only paths so, and the product's
   * generation probe relies on that 404.
   */
  framework?: boolean;
}

function json(status: number, value: unknown, headers?: Record<string, string>): Answer {
  return headers ? { status, body: JSON.stringify(value), headers } : { status, body: JSON.stringify(value) };
}

const jsonCache = new WeakMap<object, string>();

/**
 * JSON text of a value. Stored objects are frozen (never changed, only replaced), so their text is
 * computed once and reused by every later read: lists of large key material cost a join, not a
 * fresh stringify per request.
 */
export function jsonOf(value: unknown): string {
  if (value === null || typeof value !== 'object' || !Object.isFrozen(value)) return JSON.stringify(value);
  let text = jsonCache.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    jsonCache.set(value, text);
  }
  return text;
}

function arrayJson(items: readonly unknown[]): string {
  return `[${items.map(jsonOf).join(',')}]`;
}

/**
 * A list of keys or keystores. The docs show `{"success": true, "resultList": [...]}` without a
 * count for these; environments add `resultCount` (withCount).
 */
export function listAnswer(dialect: Dialect, items: readonly unknown[], withCount = false): Answer {
  const list = arrayJson(items);
  if (dialect === 'status')
    return { status: 200, body: `{"status":"SUCCESS","resultList":${list},"resultCount":${items.length}}` };
  return {
    status: 200,
    body: withCount
      ? `{"success":true,"resultList":${list},"resultCount":${items.length}}`
      : `{"success":true,"resultList":${list}}`,
  };
}

/** A single object: "in the list format, but with a single key". */
export function singleAnswer(dialect: Dialect, item: unknown): Answer {
  return listAnswer(dialect, [item]);
}

/** The projects list: the docs show the status shape for it, so both dialects answer so. */
export function projectsAnswer(items: readonly unknown[]): Answer {
  return json(200, { status: 'SUCCESS', resultList: items, resultCount: items.length });
}

/**
 * How a write reports its deployment; Apinizer's own files show three shapes:
 * - `prose`: `deploymentResult: {success, message, environmentResults: [{environmentName, success, message}]}`;
 * - `openapi`: the OpenAPI `DeploymentResult` at the top level, `{envName, podName, success,
 *   detail, detailList: [{envName, podName, success, detail}]}`; `openapi-nested`: the same under
 *   `deploymentResult`;
 * - `summary`: no entries, only a top-level verdict with a message (`success: false` /
 *   `status: "FAILURE"` when a deployment failed, still HTTP 200: the object is saved).
 */
export type DeploymentShape = 'prose' | 'openapi' | 'openapi-nested' | 'summary';
export const DEPLOYMENT_SHAPES: readonly DeploymentShape[] = ['prose', 'openapi', 'openapi-nested', 'summary'];

/** The pod name the emulator's one gateway pod per environment reports in the OpenAPI shape. */
const POD = 'gateway-0';

function openApiResult(d: DeploymentResult): Record<string, unknown> {
  return {
    envName: null,
    podName: null,
    success: d.success,
    detail: d.message,
    detailList: d.environmentResults.map((e) => ({
      envName: e.environmentName,
      podName: POD,
      success: e.success,
      detail: e.message,
    })),
  };
}

/** The answer to a committed create, update or delete, in the dialect and deployment shape asked for. */
export function writeAnswer(
  dialect: Dialect,
  deploymentResult: DeploymentResult,
  shape: DeploymentShape = 'prose',
): Answer {
  const ok = dialect === 'status' ? { status: 'SUCCESS' } : { success: true };
  switch (shape) {
    case 'prose':
      return json(200, { ...ok, deploymentResult });
    case 'openapi-nested':
      return json(200, { ...ok, deploymentResult: openApiResult(deploymentResult) });
    case 'openapi': {
      // The DeploymentResult is the body: its own `success` is the deployment's.
      const body = openApiResult(deploymentResult);
      return json(
        200,
        dialect === 'status' ? { status: deploymentResult.success ? 'SUCCESS' : 'FAILURE', ...body } : body,
      );
    }
    case 'summary': {
      const failed = deploymentResult.environmentResults.filter((e) => !e.success);
      const message =
        failed.length === 0
          ? deploymentResult.message
          : failed.length === 1
            ? (failed[0]?.message ?? deploymentResult.message)
            : `${deploymentResult.message}: ${failed.map((e) => e.environmentName).join(', ')}`;
      if (dialect === 'status')
        return json(200, { status: failed.length === 0 ? 'SUCCESS' : 'FAILURE', resultMessage: message });
      return json(200, { success: failed.length === 0, message });
    }
  }
}

/**
 * An error in the dialect. The status dialect reports request errors (400, 404, 409) as HTTP 400
 * with `resultMessage`; authentication, rate limits and server errors keep their status codes there
 * too, since a gateway or filter in front of the API answers those.
 */
export function errorAnswer(dialect: Dialect, failure: ApiFailure): Answer {
  if (dialect === 'status') {
    const requestError =
      !failure.framework && (failure.status === 400 || failure.status === 404 || failure.status === 409);
    const body: Record<string, unknown> = { status: 'FAILURE', resultMessage: failure.description };
    if (failure.extra && 'retry_after' in failure.extra) body.retry_after = failure.extra.retry_after;
    return json(requestError ? 400 : failure.status, body, failure.headers);
  }
  return json(
    failure.status,
    { error: failure.error, error_description: failure.description, ...failure.extra },
    failure.headers,
  );
}

/** A file download (export-file): the bytes, their content type, and the name a browser would save them as. */
export function fileAnswer(bytes: Buffer, contentType: string, fileName: string): Answer {
  // The pages' form, `attachment; filename="NAME"`; RFC 6266's filename* only when NAME is not plain ASCII.
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const disposition =
    ascii === fileName
      ? `attachment; filename="${fileName}"`
      : `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
  return { status: 200, body: bytes, headers: { 'content-type': contentType, 'content-disposition': disposition } };
}

/** A plain JSON answer in no dialect (token issuance, the emulator's own endpoints). */
export function plainAnswer(status: number, value: unknown, headers?: Record<string, string>): Answer {
  return json(status, value, headers);
}

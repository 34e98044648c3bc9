// The API generation a project is served by (SPEC §2b), found by a probe: `GET
// /projects/{p}/environments/` answering means current, a 404 there (the route, not the project)
// means legacy. Once per project (a failed probe is asked again), and the probe's answer doubles as
// the first environments() call on a current server, so a plan makes one environments call per project.
import type { ApiGeneration } from '../model.js';
import type { Caller } from './call.js';
import { pathSegment as enc } from './url.js';
import { ApiError, type Result } from './types.js';

/** The generation of each project, and its environments, as the client asks for them. */
export interface GenerationProbe {
  /** The generation `project` is served by (fixed by configuration, or probed once). */
  generationOf: (project: string) => Promise<Result<ApiGeneration>>;
  /** The environments of `project`, through the path of its generation. */
  environments: (project: string) => Promise<Result<string[]>>;
}

/** Creates the probe of one client; `fixed` (`--api-generation`) skips probing. */
export function createGenerationProbe(
  caller: Caller,
  basePath: string,
  fixed: ApiGeneration | undefined,
): GenerationProbe {
  const { readNameList } = caller;
  const probes = new Map<string, Promise<Result<{ generation: ApiGeneration; environments?: Result<string[]> }>>>();
  const currentEnvironmentsPath = (project: string) => ({
    path: `${basePath}/projects/${enc(project)}/environments/`,
    template: `${basePath}/projects/{project}/environments/`,
  });

  function probe(project: string): Promise<Result<{ generation: ApiGeneration; environments?: Result<string[]> }>> {
    let p = probes.get(project);
    if (!p) {
      p = (async () => {
        if (fixed !== undefined) return { ok: true as const, value: { generation: fixed } };
        const { path, template } = currentEnvironmentsPath(project);
        const r = await readNameList('environments', path, template, project);
        if (r.ok) return { ok: true as const, value: { generation: 'current' as const, environments: r } };
        // A current server that does not know the project still has the route: it says so.
        if (r.error.kind === 'project-not-found')
          return { ok: true as const, value: { generation: 'current' as const, environments: r } };
        // No such route: a 404 (JSON or an HTML error page), a 405, or a 400 that is not about the
        // project (installations answering in the status dialect report unknown paths so).
        const e = r.error;
        if (
          e.kind === 'not-found' ||
          e.status === 404 ||
          e.status === 405 ||
          (e.kind === 'bad-request' && e.status === 400)
        ) {
          return { ok: true as const, value: { generation: 'legacy' as const } };
        }
        return r;
      })();
      probes.set(project, p);
      // A failed probe (network, auth) is not remembered: the next call asks again.
      void p.then((r) => {
        if (!r.ok) probes.delete(project);
      });
    }
    return p;
  }

  async function generationOf(project: string): Promise<Result<ApiGeneration>> {
    const r = await probe(project);
    return r.ok ? { ok: true, value: r.value.generation } : r;
  }

  async function environments(project: string): Promise<Result<string[]>> {
    const p = await probe(project);
    if (!p.ok) return p;
    if (p.value.environments) {
      const answer = p.value.environments;
      // Used once: a long-running watch must see environments added later.
      probes.set(project, Promise.resolve({ ok: true, value: { generation: p.value.generation } }));
      return answer;
    }
    if (p.value.generation === 'current') {
      const { path, template } = currentEnvironmentsPath(project);
      return readNameList('environments', path, template, project);
    }
    // No trailing slash here: that is how the legacy docs spell this one path.
    const legacy = await readNameList(
      'environments',
      `${basePath}/environments/${enc(project)}`,
      `${basePath}/environments/{project}`,
      project,
    );
    // Both generations' environments routes answered 404 for the route (a missing project is a 400
    // or says "project"): the URL leads to something else than a Manager's API, e.g. a wrong path
    // before /apiops. Saying "project not found" would send the user the wrong way.
    if (!legacy.ok && legacy.error.kind === 'not-found' && legacy.error.status === 404 && fixed === undefined) {
      const e = legacy.error;
      return {
        ok: false,
        error: new ApiError(
          'protocol',
          404,
          e.code,
          `this URL does not look like an Apinizer Manager: ${basePath}/projects/{project}/environments/ and ` +
            `${basePath}/environments/{project} both answered 404 (${e.message})`,
          "check --server / APINIZER_URL: it is the Manager's address (where its web UI is), without /apiops",
          e.request,
          e.attempts,
        ),
      };
    }
    return legacy;
  }

  return { generationOf, environments };
}

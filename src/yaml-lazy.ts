// The `yaml` library, loaded the first time it is needed. It builds exact syntax trees, which the
// product needs only for the unusual file (anchors, tags, a syntax error) and for a config file,
// while loading it costs about 30 ms of every run's start-up: as much as parsing 1,000 manifests
// with js-yaml, which reads the common files. Its CommonJS build is what Node loads anyway.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

/** The `yaml` module (loaded on the first call). */
export function yamlLibrary(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return loaded;
}

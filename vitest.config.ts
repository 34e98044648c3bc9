import { defineConfig } from 'vitest/config';

// Files that must run in a fresh module graph: their vi.mock would be ignored if an earlier file
// in the same worker had already loaded the module, and would leak into later files otherwise.
const ISOLATED = ['test/cli/apply-faults.test.ts', 'test/material/derive-once.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real emulators and CLI processes; two cores is all we have.
    pool: 'forks',
    setupFiles: ['test/support/per-file-setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: ISOLATED,
          // Each worker keeps one module graph across files: a fresh graph per file (the default)
          // cost more than the tests themselves (44 s against 17 s for the 41 files of test/manifest,
          // reconcile, material, kinds and emulator). Safe because no test stubs globals or the
          // environment, and the one that registers a kind unregisters it in afterAll.
          isolate: false,
        },
      },
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
    ],
  },
});

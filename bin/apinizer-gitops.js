#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `prepare` on `npm ci`).
import('../dist/cli/main.js').catch((err) => {
  process.stderr.write(
    `apinizer-gitops: cannot start (${err && err.code === 'ERR_MODULE_NOT_FOUND' ? 'not built; run npm run build' : String(err)})\n`,
  );
  process.exit(1);
});

// Finding a Chromium for the browser check (test/ci/markdown-browser.test.ts) without downloading one.
//
// In order: CHROMIUM_PATH (a browser the person chose), the Chromium that the dev dependency
// @sparticuz/chromium ships inside its npm tarball (Linux x64, glibc 2.34+: it brings its own NSS
// libraries and fonts, so a bare Debian 12 or Ubuntu 22.04 runs it), then Debian's /usr/bin/chromium.
// Nothing found: the check is skipped with one line saying how to run it, unless REQUIRE_BROWSER=1
// (set by .ci/run), which turns the missing browser into a failure: CI never skips it.
import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';

/** Where a browser was found and how to start it. */
export interface BrowserFound {
  found: true;
  /** Says where the browser came from, for the test's log. */
  source: string;
  /** Returns the executable and the environment it needs; may unpack the bundled browser first. */
  prepare(): Promise<{ executablePath: string; env: Record<string, string> }>;
}

/** No browser: why, in one line. */
export interface BrowserMissing {
  found: false;
  reason: string;
}

export type BrowserLookup = BrowserFound | BrowserMissing;

/** What to do about the browser check: run it, skip it with a line, or fail with a message. */
export type BrowserDecision = { run: BrowserFound } | { skip: string } | { fail: string };

/** How to get a browser for the check, as told in the skip line and the failure. */
export const HOW_TO_GET_A_BROWSER =
  'install one (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary';

/** Where Debian and Ubuntu put their Chromium. */
export const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** What the lookup may look at; the defaults are this process's, tests pass their own. */
export interface LookupOptions {
  env?: NodeJS.ProcessEnv;
  /** The bundled browser's package folder, or null when it is not installed or cannot run here. */
  bundle?: string | null;
  systemPaths?: readonly string[];
}

/** Finds a Chromium without starting or unpacking it. */
export function findChromium(options: LookupOptions = {}): BrowserLookup {
  const env = options.env ?? process.env;
  const chosen = env.CHROMIUM_PATH;
  if (chosen) {
    if (existsSync(chosen)) return installed(chosen, `CHROMIUM_PATH=${chosen}`);
    return { found: false, reason: `CHROMIUM_PATH=${chosen} does not exist` };
  }
  const bundle = options.bundle === undefined ? bundledChromiumPackage() : options.bundle;
  if (bundle) {
    return { found: true, source: `@sparticuz/chromium (${bundle})`, prepare: () => unpackBundled(bundle) };
  }
  for (const path of options.systemPaths ?? SYSTEM_CHROMIUM) {
    if (existsSync(path)) return installed(path, path);
  }
  return {
    found: false,
    reason: 'no Chromium found (CHROMIUM_PATH unset, no bundled Chromium for this platform, no /usr/bin/chromium)',
  };
}

/** Run when found; otherwise fail under REQUIRE_BROWSER=1 and skip (with one line) elsewhere. */
export function decideBrowserCheck(lookup: BrowserLookup, env: NodeJS.ProcessEnv = process.env): BrowserDecision {
  if (lookup.found) return { run: lookup };
  if (env.REQUIRE_BROWSER === '1') {
    const why = `The browser check needs Chromium and REQUIRE_BROWSER=1 forbids skipping it: ${lookup.reason}`;
    return { fail: `${why}; ${HOW_TO_GET_A_BROWSER}.` };
  }
  return { skip: `browser check skipped: ${lookup.reason}; to run it, ${HOW_TO_GET_A_BROWSER}.` };
}

function installed(path: string, source: string): BrowserFound {
  return { found: true, source, prepare: () => Promise.resolve({ executablePath: path, env: stringEnv(process.env) }) };
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** The @sparticuz/chromium package folder when installed and its x64 glibc binary can run here. */
export function bundledChromiumPackage(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  // The binary and its NSS libraries are built for Amazon Linux 2023: glibc 2.34 or newer (Debian 12,
  // Ubuntu 22.04 and later); Alpine's musl or an older glibc cannot load them.
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  const [major = 0, minor = 0] = (header?.glibcVersionRuntime ?? '0.0').split('.').map(Number);
  if (major < 2 || (major === 2 && minor < 34)) return null;
  try {
    // The package's "require" export is build/cjs/index.cjs, two folders below its root.
    const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
    const root = dirname(dirname(dirname(entry)));
    return existsSync(join(root, 'bin', 'chromium.br')) ? root : null;
  } catch {
    return null;
  }
}

/**
 * Unpacks the bundled browser once per package version into node_modules/.cache (about 3 s, 200 MB):
 * the binary, the NSS libraries it links against (al2023.tar.br, put first on LD_LIBRARY_PATH) and
 * Open Sans with a fontconfig file of our own (the package's points at /tmp/fonts). Unpacked into a
 * private folder and renamed into place, so two test runs at once cannot see a half-written binary.
 */
async function unpackBundled(root: string): ReturnType<BrowserFound['prepare']> {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const target = join(dirname(dirname(root)), '.cache', 'apinizer-gitops', `chromium-${version}`);
  const executablePath = join(target, 'chromium');
  if (!existsSync(executablePath)) {
    const work = `${target}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
      await brotliTo(join(root, 'bin', 'chromium.br'), join(work, 'chromium'), 0o755);
      await untarBrotli(join(root, 'bin', 'al2023.tar.br'), work); // lib/
      await untarBrotli(join(root, 'bin', 'fonts.tar.br'), work); // fonts/
      writeFileSync(
        join(work, 'fonts.conf'),
        [
          '<?xml version="1.0"?>',
          '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
          `<fontconfig><dir>${join(target, 'fonts')}</dir>`,
          `<cachedir>${join(target, 'fonts-cache')}</cachedir></fontconfig>`,
          '',
        ].join('\n'),
      );
      renameSync(work, target);
    } catch (err) {
      rmSync(work, { recursive: true, force: true });
      // Another run renamed its copy into place first: use that one.
      if (!existsSync(executablePath)) throw err;
    }
  }
  const env = stringEnv(process.env);
  env.LD_LIBRARY_PATH = [join(target, 'lib'), env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  env.FONTCONFIG_FILE = join(target, 'fonts.conf');
  return { executablePath, env };
}

async function brotliTo(source: string, dest: string, mode: number): Promise<void> {
  await pipeline(createReadStream(source), createBrotliDecompress(), createWriteStream(dest, { mode }));
}

async function untarBrotli(source: string, dir: string): Promise<void> {
  const tar = join(dir, 'unpack.tar');
  await brotliTo(source, tar, 0o644);
  execFileSync('tar', ['-xf', tar, '-C', dir, '--no-same-owner']);
  rmSync(tar);
}

/**
 * `npm run build`: the production program as JavaScript in dist/, what the Docker image and
 * `npm run start:worker` / `npm run start:api` run with plain `node` (no TypeScript compiler, no tsx).
 *
 *   1. tsc -p tsconfig.build.json: the program's TypeScript to dist/<same path>.js (a type error fails the build);
 *   2. the data files the program reads beside its code (rules and lexicons, model weights, the console's CSS);
 *   3. the console's browser script, bundled once here instead of on its first request;
 *   4. the workflow bundle (dist/workflow-bundle.js), so a worker starts without webpack.
 *
 * dist/ is emptied first: a file whose source was removed must not linger in the image.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

/** Source folders of the program (tsconfig.build.json compiles the same ones). */
export const PROGRAM_DIRS = [
  'activities',
  'api',
  'config',
  'console',
  'contracts',
  'db',
  'media',
  'observability',
  'temporal',
  'triage',
  'worker',
  'workflows',
  'wppconnect',
];

/** Never part of the program: the simulator and its samples are test tools; the console client is bundled. */
const NOT_PROGRAM = new Set(['console/client', 'simulator', 'wppconnect/samples']);

/** Files the program reads at run time from beside its code (`path.join(__dirname, …)`). */
const DATA_FILE = /\.(ya?ml|json|css)$/;

function say(line: string): void {
  process.stdout.write(`[build] ${line}\n`);
}

/** Every data file under the program's folders, as paths relative to the root. */
export function dataFiles(): string[] {
  const found: string[] = [];
  const walk = (rel: string): void => {
    if (NOT_PROGRAM.has(rel)) return;
    for (const entry of readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const child = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (DATA_FILE.test(entry.name) && entry.name !== 'tsconfig.json') found.push(child);
    }
  };
  for (const dir of PROGRAM_DIRS) if (existsSync(path.join(ROOT, dir))) walk(dir);
  return found.sort();
}

async function bundleConsoleScript(): Promise<string | undefined> {
  const entry = path.join(ROOT, 'console', 'client', 'main.ts');
  if (!existsSync(entry)) return undefined;
  // esbuild comes with tsx (a development dependency): only the build needs it.
  const { build } = await import('esbuild');
  const outfile = path.join(DIST, 'console', 'client', 'main.js');
  await build({
    entryPoints: [entry],
    bundle: true,
    outfile,
    format: 'iife',
    target: ['es2020'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return outfile;
}

async function bundleWorkflows(): Promise<{ file: string; bytes: number }> {
  // Imported here, not at the top: the compiler step must not wait for webpack to load.
  const { bundleWorkflows: bundle } = await import('../worker/worker');
  const { code } = await bundle();
  const file = path.join(DIST, 'workflow-bundle.js');
  writeFileSync(file, code);
  return { file, bytes: code.length };
}

async function main(): Promise<void> {
  const started = Date.now();
  rmSync(DIST, { recursive: true, force: true });

  say('compiling (tsc -p tsconfig.build.json)');
  const tsc = require.resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  } catch {
    throw new Error('tsc failed: nothing was built');
  }

  const files = dataFiles();
  for (const rel of files) {
    mkdirSync(path.dirname(path.join(DIST, rel)), { recursive: true });
    cpSync(path.join(ROOT, rel), path.join(DIST, rel));
  }
  say(`copied ${files.length} data files (${files.join(', ')})`);

  const consoleScript = await bundleConsoleScript();
  if (consoleScript) say(`bundled the console script (${Math.round(statSync(consoleScript).size / 1024)} KiB)`);

  const bundle = await bundleWorkflows();
  say(`bundled the workflows into ${path.relative(ROOT, bundle.file)} (${Math.round(bundle.bytes / 1024)} KiB)`);
  say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: node dist/api/main.js, node dist/worker/main.js`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`[build] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

/**
 * `npm run build:workflows`: only the workflow bundle (dist/workflow-bundle.js), the last step of
 * `npm run build` (scripts/build.ts), for when just the workflow code changed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflows } from '../worker/worker';

const OUTPUT = path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

async function main(): Promise<void> {
  const started = Date.now();
  const { code } = await bundleWorkflows();
  await mkdir(path.dirname(OUTPUT), { recursive: true });
  await writeFile(OUTPUT, code);
  console.log(`wrote ${OUTPUT} (${Math.round(code.length / 1024)} KiB) in ${Date.now() - started} ms`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

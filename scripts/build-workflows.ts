/**
 * Pre-bundles the workflow code into dist/workflow-bundle.js, so production workers start without
 * webpack (worker/worker.ts uses the file when it exists). Run by the Dockerfile and `npm run build`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../temporal/data-converter';
import { PREBUILT_BUNDLE_PATH, WORKFLOWS_PATH } from '../worker/worker';

async function main(): Promise<void> {
  const started = Date.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
  });
  await mkdir(path.dirname(PREBUILT_BUNDLE_PATH), { recursive: true });
  await writeFile(PREBUILT_BUNDLE_PATH, code);
  console.log(`wrote ${PREBUILT_BUNDLE_PATH} (${Math.round(code.length / 1024)} KiB) in ${Date.now() - started} ms`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

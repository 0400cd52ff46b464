import { readFileSync } from 'node:fs';
import path from 'node:path';

/** What scripts/patch-temporal-sdk.cjs writes into each file it patches. */
export const SDK_PATCH_MARK = '/* medical-assistant patch */';
export const SDK_PATCHED_FILES = [
  'lib/workflow/reusable-vm.js',
  'lib/workflow/threaded-vm.js',
  'lib/workflow/vm-shared.js',
] as const;

/**
 * The files of @temporalio/worker that the postinstall patch did not reach (`npm ci --ignore-scripts`, or an
 * SDK installed some other way). Empty when the workflow thread runs as the bench measured it; otherwise the
 * worker still runs correctly, with the SDK's own per-call watchdog and promise hook (slower).
 */
export function unpatchedSdkFiles(): string[] {
  const dir = path.dirname(require.resolve('@temporalio/worker/package.json'));
  return SDK_PATCHED_FILES.filter((file) => !readFileSync(path.join(dir, file), 'utf8').includes(SDK_PATCH_MARK));
}

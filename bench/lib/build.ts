/**
 * The bench and the chaos run measure the program as production runs it: compiled by `npm run build`
 * (scripts/build.ts) into dist/, started with plain `node`.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export function buildProgram(say: (line: string) => void): void {
  say('npm run build (the worker and the API run compiled, as in production)');
  const started = Date.now();
  execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'build.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  say(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

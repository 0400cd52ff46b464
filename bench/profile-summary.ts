/**
 * `npm run bench:profile -- <file.cpuprofile or folder> [...]`: where a V8 CPU profile's busy time went, as the
 * profiles of `npm run bench -- --profile` need reading (the worker writes one per thread: the main thread
 * runs activities and the SDK's core, the other the workflow code). Idle time is left out; the rest is shown
 * as self time by package (or file) and by function, in percent of the busy time.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A package under node_modules (with its scope), a file of ours, or V8's own name for native work. */
export function placeOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName || '(native)';
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) {
    const parts = url.slice(i + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? url);
  }
  return path.basename(url);
}

export interface ProfileSummary {
  busyMs: number;
  byPlace: [string, number][];
  byFunction: [string, number][];
}

export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame || frame.functionName === '(idle)') return;
    busyUs += us;
    const place = placeOf(frame);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'} ${place}:${frame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  });
  const top = (m: Map<string, number>): [string, number][] =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, busyUs === 0 ? 0 : (100 * v) / busyUs]);
  return { busyMs: busyUs / 1000, byPlace: top(byPlace), byFunction: top(byFunction) };
}

function main(): void {
  // A folder (as `npm run bench -- --profile` names it) stands for every profile in it.
  const files = process.argv.slice(2).flatMap((arg) =>
    statSync(arg).isDirectory()
      ? readdirSync(arg)
          .filter((f) => f.endsWith('.cpuprofile'))
          .sort()
          .map((f) => path.join(arg, f))
      : [arg],
  );
  if (files.length === 0) {
    console.error('usage: npm run bench:profile -- <file.cpuprofile | folder of them> [...]');
    process.exit(2);
  }
  for (const file of files) {
    const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    console.log(`\n${path.basename(file)}: busy ${(summary.busyMs / 1000).toFixed(1)} s`);
    console.log('  by package or file (self time):');
    for (const [k, v] of summary.byPlace.slice(0, 15)) console.log(`  ${v.toFixed(1).padStart(5)}%  ${k}`);
    console.log('  by function (self time):');
    for (const [k, v] of summary.byFunction.slice(0, 15)) console.log(`  ${v.toFixed(1).padStart(5)}%  ${k}`);
  }
}

if (require.main === module) main();

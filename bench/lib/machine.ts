/** What a result was measured on: the commit (and whether the tree had changes) and the machine. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineFacts {
  commit: string;
  dirty: boolean;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  loadAverage: string;
  node: string;
  platform: string;
  date: string;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    commit: git(['rev-parse', '--short', 'HEAD']) ?? 'unknown',
    dirty: (git(['status', '--porcelain']) ?? '').length > 0,
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

export function describeMachine(f: MachineFacts): string[] {
  return [
    `commit ${f.commit}${f.dirty ? ' (working tree had uncommitted changes)' : ''}`,
    `${f.cores} cores (${f.cpuModel}), ${f.memoryGiB} GiB RAM, load average at start ${f.loadAverage}`,
    `Node ${f.node}, ${f.platform}`,
    `measured ${f.date}`,
  ];
}

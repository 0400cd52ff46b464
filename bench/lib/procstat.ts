/**
 * What a process has used so far, from Linux /proc: CPU time (user + system, all threads), bytes it made
 * the kernel write to storage, resident memory now and at its peak. The bench takes a snapshot before and
 * after a phase and reports the difference.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';

export interface ProcSnapshot {
  pid: number;
  /** User + system CPU seconds since the process started. */
  cpuSeconds: number;
  /** /proc/<pid>/io write_bytes: bytes this process caused to be written to storage. */
  writeBytes: number;
  /** /proc/<pid>/io wchar: bytes passed to write-like system calls (files, sockets, pipes). */
  writeCalls: number;
  rssBytes: number;
  /** VmHWM: the highest resident set size so far. */
  peakRssBytes: number;
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** undefined when the process is gone (or this is not Linux). */
export function snapshot(pid: number): ProcSnapshot | undefined {
  const stat = read(`/proc/${pid}/stat`);
  const status = read(`/proc/${pid}/status`);
  if (stat === undefined || status === undefined) return undefined;
  // Fields after the command name (which is in parentheses and may hold spaces): state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11] ?? 0);
  const stime = Number(fields[12] ?? 0);
  const io = read(`/proc/${pid}/io`) ?? '';
  const ioField = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(io)?.[1] ?? 0);
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return {
    pid,
    cpuSeconds: (utime + stime) / clockTicks(),
    writeBytes: ioField('write_bytes'),
    writeCalls: ioField('wchar'),
    rssBytes: kb('VmRSS'),
    peakRssBytes: kb('VmHWM'),
  };
}

/** This process's own CPU seconds (the load generator). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Sum of the sizes of the files that exist (a SQLite database and its -wal / -shm files). */
export function filesBytes(paths: readonly string[]): number {
  let total = 0;
  for (const p of paths) {
    try {
      total += statSync(p).size;
    } catch {
      // Not there (yet): counts as 0.
    }
  }
  return total;
}

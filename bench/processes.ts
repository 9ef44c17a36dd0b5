// Child processes for the benchmark: Titrate and the bare Express route, each waited on until it answers.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface Running {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
  rssMb(): number | undefined;
}

async function waitFor(url: string, proc: ChildProcess, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode} before answering ${url}`);
    try {
      const res = await fetch(url);
      if (res.ok) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

function rssOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8') as string;
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export async function startProcess(script: string, env: Record<string, string>, readyPath: string): Promise<Running & { startMs: number }> {
  const port = env.PORT;
  // The flags and malloc setting npm start and docker-compose use (package.json "start"), for Titrate and the bare
  // Express alike.
  const proc = spawn(process.execPath, ['--max-semi-space-size=16', '--v8-pool-size=0', '--import', 'tsx', path.join(ROOT, script)], {
    cwd: ROOT,
    env: { MALLOC_ARENA_MAX: '2', ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const startMs = await waitFor(`${url}${readyPath}`, proc, 60_000);
  return {
    url,
    proc,
    startMs,
    rssMb: () => rssOf(proc.pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/** Waits until a server's audit backlog (buffered and queued items, from /metrics) is empty; returns how long it took. */
export async function auditDrained(base: string, timeoutMs = 120_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const text = await (await fetch(`${base}/metrics`)).text();
    const backlog = [...text.matchAll(/^titrate_audit_(?:buffered|queued)_items (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    if (backlog === 0 || performance.now() - started > timeoutMs) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 200));
  }
}

// SPEC §9 with a real server process: SIGTERM drains in-flight requests; kill -9 mid-transaction loses it whole.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
let port = 19400 + Math.floor(Math.random() * 400);

interface Proc {
  child: ChildProcess;
  base: string;
  exited: Promise<number | null>;
}

const running: Proc[] = [];

async function startServer(dataDir: string): Promise<Proc> {
  const p = port++;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(p), AUTH: 'off', DEMO: '0', LOG_LEVEL: 'warn', DATABASE_URL: '', SQLITE_PATH: path.join(dataDir, 'db.sqlite') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${p}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error('server exited during start');
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const proc = { child, base, exited };
  running.push(proc);
  return proc;
}

function bigTransaction(n: number): string {
  return JSON.stringify({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: n }, (_, i) => ({
      resource: { resourceType: 'Observation', status: 'final', code: { text: `kill-test ${i}` }, subject: { reference: 'Patient/kill-test' } },
      request: { method: 'POST', url: 'Observation' },
    })),
  });
}

async function countObservations(base: string): Promise<number> {
  const r = await fetch(`${base}/fhir/Observation?subject=Patient/kill-test&_summary=count`);
  return ((await r.json()) as { total: number }).total;
}

afterEach(() => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

describe('server process', () => {
  it('drains an in-flight transaction on SIGTERM, answers it, then exits 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'titrate-drain-'));
    const srv = await startServer(dir);
    const pending = fetch(`${srv.base}/fhir`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' }, body: bigTransaction(3000) });
    await new Promise((r) => setTimeout(r, 30));
    srv.child.kill('SIGTERM');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await srv.exited).toBe(0);
    const again = await startServer(dir);
    expect(await countObservations(again.base)).toBe(3000);
  }, 60_000);

  it('keeps a transaction all-or-nothing across kill -9 mid-ingest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'titrate-kill-'));
    const srv = await startServer(dir);
    const pending = fetch(`${srv.base}/fhir`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' }, body: bigTransaction(5000) }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 150));
    srv.child.kill('SIGKILL');
    await pending;
    await srv.exited;
    const again = await startServer(dir);
    expect([0, 5000]).toContain(await countObservations(again.base));
  }, 60_000);
});

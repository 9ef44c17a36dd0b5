// Imports flow one way (STYLE §2): http → fhir → {search, validation, auth, clinical, upstream} → store.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SERVER = path.resolve(import.meta.dirname, '../server');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return tsFiles(p);
    return d.name.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    out.push(path.relative(SERVER, path.resolve(path.dirname(file), m[1])));
  }
  return out;
}

const folderOf = (rel: string) => rel.split(path.sep)[0];

/** What each folder may not import. */
const FORBIDDEN: Record<string, string[]> = {
  store: ['fhir', 'http', 'search', 'validation', 'auth', 'clinical', 'cds', 'upstream', 'app.ts'],
  clinical: ['fhir', 'http', 'store', 'search', 'validation', 'auth', 'cds', 'upstream', 'app.ts'],
  fhir: ['http', 'app.ts'],
  search: ['http', 'app.ts'],
  validation: ['http', 'store', 'app.ts'],
};

describe('architecture', () => {
  const files = tsFiles(SERVER);

  it.each(Object.keys(FORBIDDEN))('server/%s imports none of its forbidden neighbours', (folder) => {
    const offenders: string[] = [];
    for (const file of files.filter((f) => folderOf(path.relative(SERVER, f)) === folder)) {
      for (const target of importsOf(file)) {
        if (FORBIDDEN[folder].includes(folderOf(target))) offenders.push(`${path.relative(SERVER, file)} → ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('only app.ts and the composition root import http/', () => {
    const offenders = files
      .filter((f) => !['http', 'app.ts', 'compose.ts'].includes(folderOf(path.relative(SERVER, f))))
      .filter((f) => importsOf(f).some((t) => folderOf(t) === 'http'))
      .map((f) => path.relative(SERVER, f));
    expect(offenders).toEqual([]);
  });

  it('reads process.env only in config.ts', () => {
    const offenders = files.filter((f) => !f.endsWith(`${path.sep}config.ts`) && /process\.env/.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(SERVER, f));
    expect(offenders).toEqual([]);
  });
});

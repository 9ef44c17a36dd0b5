// `npm run profiles [-- --write]`: checks every file in profiles/ — JSON, self-validation against R4,
// snapshot regenerated from the differential (and, with --write, stored), ValueSets expandable locally.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { defaultProfilesDir, readProfileFiles, TITRATE_SD_BASE } from './profiles.ts';
import { generateSnapshot } from './snapshot.ts';
import { expandValueSets } from './terminology.ts';
import { isError } from './types.ts';
import { createValidator } from './validator.ts';

export interface FileReport {
  file: string;
  ok: boolean;
  notes: string[];
}

export async function checkProfiles(dir: string, opts: { write?: boolean } = {}): Promise<FileReport[]> {
  const files = readProfileFiles(dir);
  const validator = await createValidator({ profilesDir: dir });
  const all = files.map((f) => f.resource).filter((r): r is fhir4.Resource => !!r);
  const sds = new Map(
    all.filter((r): r is fhir4.StructureDefinition => r.resourceType === 'StructureDefinition').map((sd) => [sd.url, sd]),
  );
  const reports: FileReport[] = [];
  for (const f of files) {
    const notes: string[] = [];
    let ok = true;
    const fail = (msg: string) => {
      ok = false;
      notes.push(msg);
    };
    const res = f.resource as (fhir4.Resource & Record<string, any>) | undefined;
    if (!res) {
      reports.push({ file: f.file, ok: false, notes: [`not JSON: ${f.error}`] });
      continue;
    }
    const expectedName = `${res.resourceType}-${res.id}.json`;
    if (f.file !== expectedName) fail(`file name should be ${expectedName}`);
    if (res.resourceType === 'StructureDefinition') {
      const sd = res as fhir4.StructureDefinition;
      if (sd.url !== `${TITRATE_SD_BASE}${sd.id}`) fail(`url should be ${TITRATE_SD_BASE}${sd.id}`);
      const { elements, errors } = generateSnapshot(sd, (url) => sds.get(url));
      errors.forEach((e) => fail(`snapshot: ${e}`));
      if (!errors.length) {
        if (!isDeepStrictEqual(sd.snapshot?.element, elements)) {
          if (opts.write) {
            const onDisk = JSON.parse(readFileSync(join(dir, f.file), 'utf8'));
            onDisk.snapshot = { element: elements };
            writeFileSync(join(dir, f.file), `${JSON.stringify(onDisk, null, 2)}\n`);
            sd.snapshot = { element: elements };
            notes.push(`snapshot written (${elements.length} elements)`);
          } else {
            fail('snapshot is missing or out of date: run `npm run profiles -- --write`');
          }
        } else {
          notes.push(`snapshot current (${elements.length} elements)`);
        }
      }
    }
    if (res.resourceType === 'ValueSet') {
      const url = (res as fhir4.ValueSet).url!;
      const codes = expandValueSets(all, new Set([url]))[url];
      if (!codes) fail('cannot be expanded from local content');
      else notes.push(`${codes.length} codes`);
    }
    for (const issue of validator.validate(res)) {
      if (isError(issue)) fail(`${issue.expression[0] ?? ''}: ${issue.diagnostics}`);
    }
    reports.push({ file: f.file, ok, notes });
  }
  return reports;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const i = args.indexOf('--dir');
  const dir = i >= 0 ? resolve(args[i + 1]) : defaultProfilesDir();
  const reports = await checkProfiles(dir, { write: args.includes('--write') });
  for (const r of reports) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.file}${r.notes.length ? ` — ${r.notes.join('; ')}` : ''}`);
  const failed = reports.filter((r) => !r.ok).length;
  console.log(`${reports.length} files, ${reports.length - failed} ok, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) await main();

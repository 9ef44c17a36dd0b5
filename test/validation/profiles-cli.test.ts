// `npm run profiles`: every file in profiles/ parses, self-validates and has a current snapshot.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkProfiles } from '../../server/validation/profiles-cli.ts';
import { defaultProfilesDir } from '../../server/validation/profiles.ts';
import { generateSnapshot } from '../../server/validation/snapshot.ts';

describe('profiles CLI', () => {
  it('passes every file in profiles/', async () => {
    const reports = await checkProfiles(defaultProfilesDir());
    expect(reports.length).toBeGreaterThan(10);
    expect(reports.filter((r) => !r.ok)).toEqual([]);
  });

  it('fails a profile whose snapshot is stale or whose differential loosens the base', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'titrate-profiles-'));
    try {
      cpSync(defaultProfilesDir(), dir, { recursive: true });
      const file = join(dir, 'StructureDefinition-titrate-phq9.json');
      const sd = JSON.parse(readFileSync(file, 'utf8'));
      sd.differential.element.push({ id: 'Observation.status', path: 'Observation.status', min: 0 });
      writeFileSync(file, JSON.stringify(sd));
      const report = (await checkProfiles(dir)).find((r) => r.file === 'StructureDefinition-titrate-phq9.json')!;
      expect(report.ok).toBe(false);
      expect(report.notes.join(' ')).toMatch(/min 0 is below the base min 1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unrolls datatypes the differential reaches into', () => {
    const { elements, errors } = generateSnapshot({
      resourceType: 'StructureDefinition',
      url: 'http://titrate.health/fhir/StructureDefinition/x',
      name: 'X',
      status: 'draft',
      kind: 'resource',
      abstract: false,
      type: 'MedicationRequest',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/MedicationRequest',
      derivation: 'constraint',
      differential: { element: [{ id: 'MedicationRequest.dosageInstruction.timing.repeat', path: 'MedicationRequest.dosageInstruction.timing.repeat', min: 1 }] },
    });
    expect(errors).toEqual([]);
    expect(elements.find((e) => e.id === 'MedicationRequest.dosageInstruction.timing.repeat')?.min).toBe(1);
  });
});

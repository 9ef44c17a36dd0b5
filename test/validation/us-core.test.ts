// US Core 6.1.0 profiles (cached from the official package): the package's own examples and the SMART
// bulk sample (every resource claims a US Core profile) validate clean; broken claims are caught.
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTgz } from '../../server/validation/build-schema.ts';
import { isError } from '../../server/validation/types.ts';
import { sharedValidator } from './builders.ts';

// ../shared beside the project root (the brief's layout), wherever the checkout lives.
const CORPORA = path.resolve(import.meta.dirname, '../../../shared/corpora');
const US_CORE = `${CORPORA}/us-core-packages/us_core_610.tgz`;
const BULK = `${CORPORA}/smart-bulk-10-patients-ndjson`;

describe('US Core 6.1.0', () => {
  it('validates every example in the US Core 6.1.0 package against the profiles it claims', async () => {
    const v = await sharedValidator();
    const failures: string[] = [];
    let checked = 0;
    for (const [name, content] of readTgz(US_CORE)) {
      if (!/^package\/example\/.*\.json$/.test(name)) continue;
      const resource = JSON.parse(content.toString('utf8'));
      if (!resource.meta?.profile) continue;
      checked++;
      for (const i of v.validate(resource).filter(isError)) failures.push(`${name}: ${i.expression[0]} ${i.diagnostics}`);
    }
    expect(checked).toBeGreaterThan(150);
    expect(failures).toEqual([]);
  });

  it('validates the SMART bulk sample (US Core claims on every resource) clean of errors', async () => {
    const v = await sharedValidator();
    const failures: string[] = [];
    let checked = 0;
    for (const f of readdirSync(BULK).filter((x) => x.endsWith('.ndjson') && x !== 'log.ndjson')) {
      for (const line of readFileSync(join(BULK, f), 'utf8').split('\n')) {
        if (!line.trim()) continue;
        checked++;
        const resource = JSON.parse(line);
        for (const i of v.validate(resource).filter(isError)) failures.push(`${f} ${resource.id}: ${i.expression[0]} ${i.diagnostics}`);
      }
    }
    expect(checked).toBeGreaterThan(7000);
    expect(failures.slice(0, 20)).toEqual([]);
  });

  it('reports a missing US Core category slice on a claimed Condition', async () => {
    const v = await sharedValidator();
    const condition = {
      resourceType: 'Condition',
      meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition-problems-health-concerns'] },
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      category: [{ text: 'misc' }],
      code: { coding: [{ system: 'http://snomed.info/sct', code: '35489007' }] },
      subject: { reference: 'Patient/p1' },
    };
    const issues = v.validate(condition).filter(isError);
    expect(issues.map((i) => i.expression[0])).toContain('Condition.category');
  });
});

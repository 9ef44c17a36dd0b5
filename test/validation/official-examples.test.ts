// The official R4 examples of the types Titrate works with, and the Synthea mental-health subset,
// validate without errors (https://hl7.org/fhir/R4/downloads.html, shared/corpora/synthea-…).
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isError } from '../../server/validation/types.ts';
import { sharedValidator } from './builders.ts';

// ../shared beside the project root (the brief's layout), wherever the checkout lives.
const CORPORA = path.resolve(import.meta.dirname, '../../../shared/corpora');
const EXAMPLES = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
const SYNTHEA = `${CORPORA}/synthea-smart-r4-mental-health-subset/bundles`;
const TYPES = ['MedicationRequest', 'Medication', 'Observation', 'CarePlan', 'Patient', 'Condition', 'List', 'Provenance', 'AllergyIntolerance', 'MedicationStatement'];

/** official examples with real errors, each with the reason */
const KNOWN_INVALID: Record<string, string> = {
  'Observation-example-genetics-brcapat.json':
    'puts the US Core ethnicity extension (context Patient, RelatedPerson, …) on an Observation and gives it a value[x], which that complex extension forbids',
};

const exampleFiles = readdirSync(EXAMPLES).filter((f) => TYPES.includes(f.split('-')[0]) && f.endsWith('.json'));

function errorsOf(issues: ReturnType<Awaited<ReturnType<typeof sharedValidator>>['validate']>): string[] {
  return issues.filter(isError).map((i) => `${i.expression[0]}: ${i.diagnostics}`);
}

describe('official R4 examples', () => {
  it(`validates the ${exampleFiles.length} examples of ${TYPES.length} types clean of errors`, async () => {
    const v = await sharedValidator();
    const failures: Record<string, string[]> = {};
    let checked = 0;
    for (const f of exampleFiles) {
      const resource = JSON.parse(readFileSync(join(EXAMPLES, f), 'utf8'));
      if (!TYPES.includes(resource.resourceType)) continue;
      checked++;
      const errors = errorsOf(v.validate(resource));
      if (errors.length && !KNOWN_INVALID[f]) failures[f] = errors;
      if (!errors.length && KNOWN_INVALID[f]) failures[f] = ['listed as known-invalid but validates clean'];
    }
    expect(checked).toBeGreaterThan(190);
    expect(failures).toEqual({});
  });
});

describe('Synthea mental-health subset', () => {
  it('validates every resource, and every bundle as a whole, clean of errors', async () => {
    const v = await sharedValidator();
    const failures: string[] = [];
    let resources = 0;
    for (const f of readdirSync(SYNTHEA).filter((x) => x.endsWith('.json'))) {
      const bundle = JSON.parse(readFileSync(join(SYNTHEA, f), 'utf8')) as fhir4.Bundle;
      for (const e of errorsOf(v.validate(bundle))) failures.push(`${f}: ${e}`);
      for (const entry of bundle.entry ?? []) {
        resources++;
        for (const e of errorsOf(v.validate(entry.resource))) failures.push(`${f} ${entry.resource?.resourceType}: ${e}`);
      }
    }
    expect(resources).toBeGreaterThan(5000);
    expect(failures.slice(0, 20)).toEqual([]);
  });
});

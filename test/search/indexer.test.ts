// Index extraction: the compiled property-access paths agree with the fhirpath engine on the official examples;
// value conversion (dates, UCUM, references) and the parameter table.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fhirpath from 'fhirpath';
import { describe, expect, it } from 'vitest';
import { createSearchEngine } from '../../server/search/index.ts';
import { compilePath } from '../../server/search/path.ts';
import { normaliseUcum } from '../../server/search/ucum.ts';
import { tryDateRange } from '../../server/search/dates.ts';
import { parseReference } from '../../server/search/values.ts';

const require = createRequire(import.meta.url);
const r4 = require('fhirpath/fhir-context/r4');
const CORPUS = path.resolve(import.meta.dirname, '../../../shared/corpora/hl7-fhir-r4-examples-subset');

/** The synchronous resolve() stand-in from shared/reference/fhir-data-sources.md §3. */
const resolve = {
  internalStructures: true,
  arity: { 0: [] },
  fn(this: unknown, inputs: { data?: { reference?: string }; constructor: { makeResNode: Function } }[]) {
    return inputs.flatMap((n) => {
      const m = /([A-Za-z]+)\/([^/]+)$/.exec(n?.data?.reference ?? '');
      return m ? [n.constructor.makeResNode(this, { resourceType: m[1], id: m[2] }, null, null, null, null)] : [];
    });
  },
};

const distinct = (values: unknown[]) => [...new Set(values.map((v) => JSON.stringify(v)))].sort();

describe('search parameter extraction', () => {
  const engine = createSearchEngine({ baseUrl: 'https://titrate.example/fhir' });

  it('compiled paths return what fhirpath returns on the official R4 examples', () => {
    let compared = 0;
    const mismatches: string[] = [];
    for (const file of fs.readdirSync(CORPUS).filter((f) => f.endsWith('.json'))) {
      const r = JSON.parse(fs.readFileSync(path.join(CORPUS, file), 'utf8'));
      // Observation-decimal: fhirpath's union de-duplicates 1e-245 against 0 (decimal equality), a FHIRPath quirk.
      if (!r.resourceType || r.resourceType === 'Bundle' || file === 'Observation-decimal.json') continue;
      for (const p of engine.indexer.params(r.resourceType).values()) {
        const compiled = compilePath(p.def.expr, r.resourceType, r.resourceType);
        if (!compiled) continue;
        let expected: unknown[];
        try {
          expected = fhirpath.evaluate(r, p.def.expr, {}, r4, { userInvocationTable: { resolve } } as never) as unknown[];
        } catch {
          continue; // fhirpath refuses `as` on collections; the compiled path applies it per item
        }
        // Contained references (#id) are not indexed; the compiled path resolves them, the stand-in cannot.
        const local = (vs: unknown[]) => vs.filter((v) => !String((v as { reference?: string })?.reference ?? '').startsWith('#'));
        compared++;
        if (JSON.stringify(distinct(local(compiled(r, r)))) !== JSON.stringify(distinct(local(expected)))) mismatches.push(`${file} ${p.name}`);
      }
    }
    expect(compared).toBeGreaterThan(5000);
    expect(mismatches).toEqual([]);
  });

  it('compiles all but a handful of the official expressions to property access', () => {
    let total = 0;
    let compiled = 0;
    for (const [type, params] of Object.entries(engine.indexer.table.types)) {
      for (const def of Object.values(params)) {
        total++;
        if (compilePath(def.expr, type, type)) compiled++;
      }
    }
    expect(total).toBeGreaterThan(2500);
    expect(total - compiled).toBeLessThanOrEqual(5);
  });

  it('keeps only the MedicationRequest branch of clinical-patient', () => {
    expect(engine.indexer.table.types.MedicationRequest.patient.expr).toBe('MedicationRequest.subject.where(resolve() is Patient)');
  });

  it('indexes a typical Observation into a few rows, aliases sharing them', () => {
    const rows = engine.indexer.extract('Observation', 'o1', {
      resourceType: 'Observation', id: 'o1', status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '14334-7' }] },
      subject: { reference: 'Patient/p1' }, effectiveDateTime: '2025-01-01T09:00:00Z',
      valueQuantity: { value: 0.8, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
    });
    expect(rows.sp_ref.map((r) => r[2])).toEqual(['subject']);
    expect(rows.sp_quantity.find((r) => r[2] === 'value-quantity')?.slice(4)).toEqual([0.8, 'http://unitsofmeasure.org', 'mmol/L', 0.0008, 'mol/L']);
    expect(Object.values(rows).flat().length).toBeLessThanOrEqual(10);
  });

  it('treats partial dates as ranges', () => {
    expect(tryDateRange('2025')).toEqual(['2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
    expect(tryDateRange('2024-02')).toEqual(['2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z']);
    expect(tryDateRange('2025-01-15T10:00:00+02:00')).toEqual(['2025-01-15T08:00:00.000Z', '2025-01-15T08:00:01.000Z']);
    expect(tryDateRange('2025-02-29')).toBeUndefined();
  });

  it('normalises simple UCUM units', () => {
    expect(normaliseUcum(900, 'umol/L')).toEqual({ value: 0.0009, code: 'mol/L' });
    expect(normaliseUcum(80, 'mg/dL')).toEqual({ value: 0.8, code: 'g/L' });
    expect(normaliseUcum(5, '{score}')).toBeUndefined();
  });

  it('parses references relative to the base; external URLs stay URLs', () => {
    const isType = (t: string) => t === 'Patient';
    expect(parseReference('Patient/p1/_history/2', 'https://b/fhir', isType)).toEqual({ type: 'Patient', id: 'p1', url: null });
    expect(parseReference('https://b/fhir/Patient/p1', 'https://b/fhir', isType)).toEqual({ type: 'Patient', id: 'p1', url: null });
    expect(parseReference('https://x/fhir/Patient/p1', 'https://b/fhir', isType)).toEqual({ type: null, id: null, url: 'https://x/fhir/Patient/p1' });
    expect(parseReference('#contained', 'https://b/fhir', isType)).toBeUndefined();
  });
});

// Bad input: every malformed or hostile query is a FhirError (400 invalid, or not-supported), never another error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FhirError } from '../../server/fhir/errors.ts';
import { DRIVERS, ids, openFixture, search, type SearchFixture } from './harness.ts';
import { observation, patient } from './builders.ts';

const FIXTURES = [patient('p1', 'Smith', 'Ann', '1950-01-01'), observation('o1', 'p1', '14334-7', 0.8, 'mmol/L', '2025-01-01')];

const INVALID: [string, string, string][] = [
  ['malformed date', 'Patient', 'birthdate=2025-13-45'],
  ['impossible day', 'Patient', 'birthdate=2025-02-30'],
  ['unknown prefix', 'Patient', 'birthdate=xx2020'],
  ['prefix on a token', 'Observation', 'value-quantity=zz5'],
  ['chain on a non-reference parameter', 'Patient', 'name.family=smith'],
  ['chain to a type the reference cannot hold', 'Observation', 'subject:Medication.code=1'],
  ['negative _count', 'Patient', '_count=-1'],
  ['non-numeric _count', 'Patient', '_count=ten'],
  ['_sort on an unknown parameter', 'Patient', '_sort=shoe-size'],
  ['_sort on a composite', 'Observation', '_sort=code-value-quantity'],
  ['10,000-character value', 'Patient', `name=${'a'.repeat(10_000)}`],
  [':contains on two characters', 'Patient', 'name:contains=sm'],
  ['unknown parameter (strict)', 'Patient', 'shoe-size=42'],
  ['unknown modifier (strict)', 'Patient', 'name:sounds-like=smith'],
  ['malformed _has', 'Patient', '_has:Observation=1'],
  ['_has through a non-reference', 'Patient', '_has:Observation:code:status=final'],
  ['_include of a non-reference', 'Observation', '_include=Observation:code'],
  ['malformed _include', 'Observation', '_include=Observation'],
  ['forged cursor', 'Patient', '_cursor=bm90LWEtY3Vyc29y'],
  ['_total value', 'Patient', '_total=maybe'],
  ['_summary value', 'Patient', '_summary=everything'],
  ['quantity that is not a number', 'Observation', 'value-quantity=abc'],
  ['quantity with two parts', 'Observation', 'value-quantity=1|mmol'],
  ['number out of range', 'Observation', 'value-quantity=1e999'],
  ['composite with one part', 'Observation', 'code-value-quantity=14334-7'],
  [':missing value', 'Patient', 'name:missing=maybe'],
  ['reference with SQL', 'Observation', "patient=1' OR '1'='1"],
  ['_id with SQL', 'Patient', "_id=1' OR 1=1--"],
  ['empty token', 'Observation', 'code='],
  ['too many OR values', 'Patient', `_id=${Array.from({ length: 101 }, (_, i) => `x${i}`).join(',')}`],
  ['too many parameters', 'Patient', Array.from({ length: 101 }, (_, i) => `given=a${i}`).join('&')],
  [':in on an unknown ValueSet', 'Observation', 'code:in=http://nowhere.example/vs'],
  [':of-type without three parts', 'Patient', 'identifier:of-type=MR|1'],
];

describe.each(DRIVERS.map((d) => [d.name, d] as const))('bad search input on %s', (_, dc) => {
  let f: SearchFixture;
  beforeAll(async () => (f = await openFixture(dc, FIXTURES)));
  afterAll(() => f.close());

  it.each(INVALID)('rejects %s with 400 invalid', async (_name, type, query) => {
    const err = await search(f, type, query).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FhirError);
    expect((err as FhirError).kind).toBe('invalid');
    expect((err as FhirError).message.length).toBeLessThan(300);
  });

  it('treats SQL metacharacters in a string value as text', async () => {
    expect(await ids(f, 'Patient', `name=${encodeURIComponent("'; DROP TABLE resources; --")}`)).toEqual([]);
    expect(await ids(f, 'Patient', `name=${encodeURIComponent('%')}`)).toEqual([]);
    expect(await ids(f, 'Patient', 'name=smith')).toEqual(['p1']);
  });

  it('refuses a system-level search as not supported', async () => {
    await expect(f.engine.search(f.store, { params: [], strict: true })).rejects.toMatchObject({ kind: 'not-supported' });
  });

  it('answers random hostile input with results or FhirError only', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const names = ['name', 'birthdate', 'code', 'value-quantity', 'patient', 'subject:Patient.name', '_has:Observation:patient:code', 'code-value-quantity', '_id', '_sort', '_count', '_include', 'date', 'identifier:of-type', 'name:contains', '_lastUpdated'];
    const alphabet = `abc019-|$,:.\\'"%_;()*/ÿé\u0000 eqgtlesaapZ`;
    for (let i = 0; i < 300; i++) {
      const name = names[Math.floor(rand() * names.length)];
      const value = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      const type = name === 'name' || name.startsWith('_has') || name === 'birthdate' ? 'Patient' : 'Observation';
      try {
        await f.engine.search(f.store, { type, params: [[name, value]], strict: rand() < 0.5 });
      } catch (err) {
        expect(err, `${name}=${JSON.stringify(value)}`).toBeInstanceOf(FhirError);
      }
    }
  });
});

describe.each(DRIVERS.map((d) => [d.name, d] as const))('hostile stored data on %s', (_, dc) => {
  it('indexes values holding NUL characters and odd references without failing the write', async () => {
    const f = await openFixture(dc, [
      patient('nul', 'Sm\u0000ith', 'Ann', '1950-01-01'),
      observation('odd', 'x', '14334-7', 1, 'mmol/L', 'not-a-date', { subject: { reference: "Patient/1' OR 1=1" } }),
    ]);
    try {
      expect(await ids(f, 'Patient', 'name=smith')).toEqual(['nul']);
      expect(await ids(f, 'Observation', 'date:missing=true')).toEqual(['odd']);
    } finally {
      await f.close();
    }
  });
});

describe.each(DRIVERS.map((d) => [d.name, d] as const))('bounded work on %s', (_, dc) => {
  it('refuses to sort more matches than the cap (too-costly) but pages them unsorted', async () => {
    const f = await openFixture(dc, [], { maxSortMatches: 50 });
    try {
      const items = Array.from({ length: 60 }, (_, i) => ({ type: 'Patient', id: `p${i}`, resource: patient(`p${i}`, 'Smith', 'Ann', '1950-01-01') }));
      await f.store.insertNew(items, '2026-01-15T10:00:00.000Z');
      await expect(search(f, 'Patient', 'name=smith&_sort=birthdate')).rejects.toMatchObject({ kind: 'too-costly' });
      expect((await search(f, 'Patient', 'name=smith&_sort=birthdate&birthdate=lt1900')).matches).toEqual([]);
      expect((await search(f, 'Patient', 'name=smith&_count=5')).matches).toHaveLength(5);
      expect((await search(f, 'Patient', 'name=smith&_total=estimate&_count=0')).total).toBe(60);
      expect((await search(f, 'Patient', '_sort=-_lastUpdated&_count=1')).matches).toHaveLength(1);
    } finally {
      await f.close();
    }
  });
});

// String search (prefix, accent/case folding, :exact, :contains) and date search (partial dates as ranges, all prefixes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, ids, openFixture, type SearchFixture } from './harness.ts';
import { observation, patient } from './builders.ts';

const FIXTURES = [
  patient('smith', 'Smith', 'Ann', '1950-03-01'),
  patient('smid', 'Smíd', 'Élodie', '1959-12-31'),
  patient('smithson', 'Smithson', 'Bo', '1960-01-01'),
  patient('jones', 'Jones', 'Smita', '1975'),
  patient('nobirth', 'Xu', 'Li', '', { birthDate: undefined }),
  observation('o-day', 'smith', '1', 1, '1', '2025-01-15'),
  observation('o-instant', 'smith', '1', 1, '1', '2025-01-15T23:30:00Z'),
  observation('o-month', 'smith', '1', 1, '1', '2025-02'),
  observation('o-period', 'smith', '1', 1, '1', '', { effectiveDateTime: undefined, effectivePeriod: { start: '2024-12-20', end: '2025-01-20' } }),
  observation('o-open', 'smith', '1', 1, '1', '', { effectiveDateTime: undefined, effectivePeriod: { start: '2025-06-01' } }),
];

describe.each(DRIVERS.map((d) => [d.name, d] as const))('string search on %s', (_, dc) => {
  let f: SearchFixture;
  beforeAll(async () => (f = await openFixture(dc, FIXTURES)));
  afterAll(() => f.close());

  it('matches a case-insensitive prefix of any name part', async () => {
    expect(await ids(f, 'Patient', 'name=SMI')).toEqual(['jones', 'smid', 'smith', 'smithson']);
    expect(await ids(f, 'Patient', 'family=smith')).toEqual(['smith', 'smithson']);
  });
  it('ignores accents on both sides', async () => {
    expect(await ids(f, 'Patient', 'family=smid')).toEqual(['smid']);
    expect(await ids(f, 'Patient', 'given=elo')).toEqual(['smid']);
    expect(await ids(f, 'Patient', 'given=Élo')).toEqual(['smid']);
  });
  it(':exact matches the whole value, case and accents included', async () => {
    expect(await ids(f, 'Patient', 'family:exact=Smith')).toEqual(['smith']);
    expect(await ids(f, 'Patient', 'family:exact=smith')).toEqual([]);
    expect(await ids(f, 'Patient', 'family:exact=Smíd')).toEqual(['smid']);
  });
  it(':contains matches anywhere in the value', async () => {
    expect(await ids(f, 'Patient', 'family:contains=ths')).toEqual(['smithson']);
    expect(await ids(f, 'Patient', 'name:contains=ITA')).toEqual(['jones']);
  });
  it('treats LIKE metacharacters in :contains as text', async () => {
    expect(await ids(f, 'Patient', 'family:contains=%25%25%25')).toEqual([]);
    expect(await ids(f, 'Patient', 'family:contains=m_t')).toEqual([]);
  });
  it(':missing finds resources without the element', async () => {
    expect(await ids(f, 'Patient', 'birthdate:missing=true')).toEqual(['nobirth']);
  });
});

describe.each(DRIVERS.map((d) => [d.name, d] as const))('date search on %s', (_, dc) => {
  let f: SearchFixture;
  beforeAll(async () => (f = await openFixture(dc, FIXTURES)));
  afterAll(() => f.close());

  it('eq on a day matches values inside the day, not periods that overlap it', async () => {
    expect(await ids(f, 'Observation', 'date=2025-01-15')).toEqual(['o-day', 'o-instant']);
  });
  it('eq on a month matches every value in the month', async () => {
    expect(await ids(f, 'Observation', 'date=2025-01')).toEqual(['o-day', 'o-instant']);
    expect(await ids(f, 'Observation', 'date=2025-02')).toEqual(['o-month']);
  });
  it('partial dates in data are ranges: birthdate=1975 covers the year', async () => {
    expect(await ids(f, 'Patient', 'birthdate=1975')).toEqual(['jones']);
    expect(await ids(f, 'Patient', 'birthdate=1975-06-01')).toEqual([]);
    expect(await ids(f, 'Patient', 'birthdate=ap1975-06-01')).toEqual(['jones']);
  });
  it('lt / le / gt / ge compare ranges', async () => {
    expect(await ids(f, 'Patient', 'birthdate=lt1960')).toEqual(['smid', 'smith']);
    expect(await ids(f, 'Patient', 'birthdate=le1960-01-01')).toEqual(['smid', 'smith', 'smithson']);
    expect(await ids(f, 'Patient', 'birthdate=gt1960-01-01')).toEqual(['jones']);
    expect(await ids(f, 'Patient', 'birthdate=ge1960-01-01')).toEqual(['jones', 'smithson']);
  });
  it('gt matches a period that extends beyond the value; sa only one that starts after it', async () => {
    expect(await ids(f, 'Observation', 'date=gt2025-01-16')).toEqual(['o-month', 'o-open', 'o-period']);
    expect(await ids(f, 'Observation', 'date=sa2025-01-16')).toEqual(['o-month', 'o-open']);
  });
  it('eb matches values ending before the search value; ne excludes the range', async () => {
    expect(await ids(f, 'Observation', 'date=eb2025-01-16')).toEqual(['o-day', 'o-instant']);
    expect(await ids(f, 'Observation', 'date=ne2025-01-15')).toEqual(['o-month', 'o-open', 'o-period']);
  });
  it('ge needs the range above the value to overlap the target, or the value to contain it (R4 prefix table)', async () => {
    // o-period is 2024-12-20 … 2025-01-20: it ends inside the day 2025-01-20 and starts before it, so it is not ge that day.
    expect(await ids(f, 'Observation', 'date=ge2025-01-20')).toEqual(['o-month', 'o-open']);
    expect(await ids(f, 'Observation', 'date=ge2025-01-19')).toEqual(['o-month', 'o-open', 'o-period']);
    expect(await ids(f, 'Observation', 'date=le2025-01-15')).toEqual(['o-day', 'o-instant', 'o-period']);
  });
  it('an open-ended period extends to the future', async () => {
    expect(await ids(f, 'Observation', 'date=ge2030-01-01')).toEqual(['o-open']);
  });
  it('dateTime search values with a time zone are instants; a whole day overlaps them', async () => {
    expect(await ids(f, 'Observation', 'date=ge2025-01-16T00:00:00%2B01:00&date=lt2025-01-16')).toEqual(['o-day', 'o-instant', 'o-period']);
    expect(await ids(f, 'Observation', 'date=sa2025-01-15T23:00:00%2B01:00&date=eb2025-01-16')).toEqual(['o-instant']);
  });
  it('_lastUpdated searches the stored instant', async () => {
    expect(await ids(f, 'Patient', '_lastUpdated=2026-01-15')).toHaveLength(5);
    expect(await ids(f, 'Patient', '_lastUpdated=gt2026-01-15')).toEqual([]);
  });
});

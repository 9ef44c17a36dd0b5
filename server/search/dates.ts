// FHIR date, dateTime and instant values as half-open [lo, hi) ranges of ISO instants
// (https://hl7.org/fhir/R4/search.html#date: a partial date covers its whole period).
import { FhirError } from '../fhir/errors.ts';

export const MIN_INSTANT = '0001-01-01T00:00:00.000Z';
export const MAX_INSTANT = '9999-12-31T23:59:59.999Z';
const DATE_RE = /^(\d{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))?)?)?)?$/;

/** [lo, hi) of a FHIR date/dateTime/instant; undefined when it is not one. */
export function tryDateRange(value: string): [string, string] | undefined {
  const m = DATE_RE.exec(value);
  if (!m) return undefined;
  const year = Number(m[1]);
  if (!m[2]) return [`${m[1]}-01-01T00:00:00.000Z`, `${String(year + 1).padStart(4, '0')}-01-01T00:00:00.000Z`];
  const month = Number(m[3]);
  if (!m[4]) {
    const next = month === 12 ? `${String(year + 1).padStart(4, '0')}-01` : `${m[1]}-${String(month + 1).padStart(2, '0')}`;
    return [`${m[1]}-${m[3]}-01T00:00:00.000Z`, `${next}-01T00:00:00.000Z`];
  }
  if (!m[6]) {
    const start = new Date(`${m[1]}-${m[3]}-${m[5]}T00:00:00.000Z`);
    if (Number.isNaN(start.getTime()) || start.getUTCDate() !== Number(m[5])) return undefined;
    return [start.toISOString(), new Date(start.getTime() + 86_400_000).toISOString()];
  }
  const hasSeconds = m[8] !== undefined;
  const withZone = m[10] ? value : `${value}Z`;
  const instant = new Date(hasSeconds ? withZone : withZone.replace(/(T\d\d:\d\d)/, '$1:00'));
  if (Number.isNaN(instant.getTime()) || instant.getUTCFullYear() < 1) return undefined;
  const width = m[9] ? 1 : hasSeconds ? 1000 : 60_000;
  return [instant.toISOString(), new Date(instant.getTime() + width).toISOString()];
}

/** As tryDateRange, for search input: a malformed value is a 400. */
export function dateRange(value: string): [string, string] {
  const r = tryDateRange(value);
  if (!r) throw new FhirError('invalid', `"${value.slice(0, 60)}" is not a valid FHIR date`);
  return r;
}

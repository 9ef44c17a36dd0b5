// FHIR ids (R4 id datatype: [A-Za-z0-9\-\.]{1,64}) and server-assigned ids.
import { randomFillSync } from 'node:crypto';
import { FhirError } from './errors.ts';

const ID_RULE = /^[A-Za-z0-9\-.]{1,64}$/;

export function isValidId(id: string): boolean {
  return ID_RULE.test(id);
}

export function assertValidId(id: string): void {
  if (!isValidId(id)) throw new FhirError('invalid', `"${id.slice(0, 80)}" is not a valid FHIR id ([A-Za-z0-9-.]{1,64})`);
}

// Random bytes drawn 4 KiB at a time: one randomFillSync per 256 ids instead of one per id.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/**
 * A UUIDv7 (RFC 9562): 48-bit millisecond time, then 74 random bits. Time-ordered ids make every index keyed by
 * res_id an append instead of a random B-tree insert (SQLite ingest: half the CPU, a quarter of the I/O).
 */
export function newId(): string {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const bytes = pool.subarray(poolAt, (poolAt += 16));
  const ms = Date.now();
  const hi = Math.floor(ms / 0x10000);
  bytes[0] = hi >>> 24;
  bytes[1] = hi >>> 16;
  bytes[2] = hi >>> 8;
  bytes[3] = hi;
  bytes[4] = ms >>> 8;
  bytes[5] = ms;
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

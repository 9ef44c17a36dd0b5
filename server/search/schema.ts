// Search index tables, one per value type, identical on SQLite and PostgreSQL but for the text collation.
import type { Dialect } from '../store/driver.ts';
import type { Migration } from '../store/migrations.ts';

/** Columns after the common (res_type, res_id, param, grp) prefix; `grp` ties the parts of one composite value. */
export const INDEX_TABLES = {
  sp_token: ['system', 'code', 'text'],
  sp_string: ['value', 'exact'],
  sp_date: ['lo', 'hi'],
  sp_ref: ['target_type', 'target_id', 'url'],
  sp_quantity: ['value', 'system', 'code', 'nvalue', 'ncode'],
  sp_number: ['value'],
  sp_uri: ['value'],
} as const;

export type IndexTable = keyof typeof INDEX_TABLES;
export const COMMON_COLUMNS = ['res_type', 'res_id', 'param', 'grp'] as const;

function ddl(d: Dialect): string[] {
  // Values compared by range use byte order on PostgreSQL, so prefix ranges (value >= 'smi' AND value < 'smj') mean what
  // they say. Ids and types keep the default collation: they are joined to resources.id, and a collation mismatch
  // would keep PostgreSQL from using the index for the join.
  const t = d.name === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  const num = 'DOUBLE PRECISION';
  const common = 'res_type TEXT NOT NULL, res_id TEXT NOT NULL, param TEXT NOT NULL, grp INTEGER NOT NULL';
  return [
    `CREATE TABLE IF NOT EXISTS sp_token (${common}, system ${t} NOT NULL, code ${t}, text ${t})`,
    `CREATE INDEX IF NOT EXISTS sp_token_value ON sp_token (res_type, param, code, system, res_id)`,
    `CREATE TABLE IF NOT EXISTS sp_string (${common}, value ${t} NOT NULL, exact ${t} NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS sp_string_value ON sp_string (res_type, param, value, res_id)`,
    `CREATE TABLE IF NOT EXISTS sp_date (${common}, lo ${t} NOT NULL, hi ${t} NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS sp_date_value ON sp_date (res_type, param, lo, hi, res_id)`,
    `CREATE TABLE IF NOT EXISTS sp_ref (${common}, target_type TEXT, target_id TEXT, url TEXT)`,
    `CREATE INDEX IF NOT EXISTS sp_ref_value ON sp_ref (res_type, param, target_id, target_type, res_id)`,
    `CREATE INDEX IF NOT EXISTS sp_ref_url ON sp_ref (res_type, param, url) WHERE url IS NOT NULL`,
    `CREATE TABLE IF NOT EXISTS sp_quantity (${common}, value ${num} NOT NULL, system ${t} NOT NULL, code ${t} NOT NULL, nvalue ${num} NOT NULL, ncode ${t} NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS sp_quantity_value ON sp_quantity (res_type, param, value)`,
    `CREATE INDEX IF NOT EXISTS sp_quantity_norm ON sp_quantity (res_type, param, ncode, nvalue)`,
    `CREATE TABLE IF NOT EXISTS sp_number (${common}, value ${num} NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS sp_number_value ON sp_number (res_type, param, value)`,
    `CREATE TABLE IF NOT EXISTS sp_uri (${common}, value ${t} NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS sp_uri_value ON sp_uri (res_type, param, value)`,
    // Per-resource lookups (EXISTS probes, sort keys, includes, deletes); param last so it beats the value index.
    ...Object.keys(INDEX_TABLES).map((name) => `CREATE INDEX IF NOT EXISTS ${name}_res ON ${name} (res_type, res_id, param)`),
  ];
}

/**
 * What the per-resource (`_res`) indexes carry after (res_type, res_id, param) on SQLite: the values a probe, a sort
 * key or an include reads, so those are answered from the index alone instead of one more lookup in the table per row.
 */
const PROBE_COLUMNS: Record<IndexTable, readonly string[]> = {
  sp_token: ['code', 'system'],
  sp_string: ['value'],
  sp_date: ['lo', 'hi'],
  sp_ref: ['target_type', 'target_id'],
  sp_quantity: ['value', 'nvalue', 'ncode'],
  sp_number: ['value'],
  sp_uri: ['value'],
};

export const SEARCH_MIGRATIONS: readonly Migration[] = [
  { name: '100-search-index', statements: ddl },
  // gt / ge / eb bound the end of a date range (conditions.ts dateCond): an index range on hi serves them.
  { name: '101-search-date-hi', statements: () => ['CREATE INDEX IF NOT EXISTS sp_date_hi ON sp_date (res_type, param, hi, lo, res_id)'] },
  // SQLite only. Measured on the 1 M-resource bench file (2026-12-01, in-process, alternated): the probe-heavy
  // issue-3 queries 20–35 % faster; rebuilding the seven indexes took 13 s at that size, once. PostgreSQL probes
  // through bitmap scans that gain nothing from the extra columns, and $medication-review on a freshly ingested
  // database measured p50 ~18 % slower with them (four alternated pairs), so PostgreSQL keeps the first set.
  {
    name: '102-search-covering-probes',
    statements: (d) =>
      d.name !== 'sqlite'
        ? []
        : [
            ...Object.entries(PROBE_COLUMNS).flatMap(([t, cols]) => [`DROP INDEX IF EXISTS ${t}_res`, `CREATE INDEX ${t}_res ON ${t} (res_type, res_id, param, ${cols.join(', ')})`]),
            'ANALYZE',
          ],
  },
];

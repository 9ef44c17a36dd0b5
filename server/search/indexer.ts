// Resource → search index rows, driven by the official SearchParameter table; written inside the store's transaction.
import type { SqlTx, SqlValue } from '../store/driver.ts';
import type { IndexHook } from '../store/resource-store.ts';
import { isResourceType } from '../fhir/resource-types.ts';
import { compileParam, findAliases, type CompiledParam } from './compile.ts';
import type { ParamTable, ParamType } from './params.ts';
import { COMMON_COLUMNS, INDEX_TABLES, type IndexTable } from './schema.ts';
import { normaliseString, parseReference, toDates, toNumbers, toQuantities, toStrings, toTokens, type QuantityEntry, type TokenEntry } from './values.ts';

export type { CompiledParam } from './compile.ts';

export type IndexRows = Record<IndexTable, SqlValue[][]>;

export interface BatchIndexHook extends IndexHook {
  /** Indexes a batch inside one transaction with one multi-row INSERT per table (stamped resources, as write() takes). */
  writeMany(tx: SqlTx, items: readonly { type: string; id: string; resource: Record<string, unknown> }[]): Promise<void>;
}

export class Indexer {
  private readonly compiled = new Map<string, Map<string, CompiledParam>>();
  constructor(
    readonly table: ParamTable,
    readonly baseUrl: string,
  ) {}

  /** Compiled parameters of a type (compiled on first use: a few ms per type). */
  params(type: string): Map<string, CompiledParam> {
    let m = this.compiled.get(type);
    if (!m) {
      m = new Map();
      for (const [name, def] of Object.entries(this.table.types[type] ?? {})) {
        if (name === '_id' || name === '_lastUpdated') continue;
        m.set(name, compileParam(type, name, def));
      }
      findAliases(m);
      this.compiled.set(type, m);
    }
    return m;
  }

  extract(type: string, id: string, resource: Record<string, unknown>): IndexRows {
    const rows: IndexRows = { sp_token: [], sp_string: [], sp_date: [], sp_ref: [], sp_quantity: [], sp_number: [], sp_uri: [] };
    // Duplicate rows are harmless (queries use IN / EXISTS, sorts MIN / MAX), so none are removed.
    const add = (table: IndexTable, param: string, grp: number, values: SqlValue[]) => {
      // PostgreSQL text cannot hold NUL; JSON content keeps it escaped, the index drops it.
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v === 'string' && v.includes('\u0000')) values[i] = v.replaceAll('\u0000', '');
      }
      values.unshift(type, id, param, grp);
      rows[table].push(values);
    };
    let grp = 0;
    for (const p of this.params(type).values()) {
      if (p.stored[0] !== p.name) continue;
      const values = p.get(resource, resource);
      if (values.length === 0) continue;
      if (!p.components) {
        for (const v of values) this.addValue(add, p.type, p.name, 0, v);
        continue;
      }
      for (const v of values) {
        // A composite value is indexed only when every part has a value (code-value-quantity needs both).
        const parts = p.components.map((c) => c.get(v, resource));
        if (parts.some((x) => x.length === 0)) continue;
        grp++;
        parts.forEach((cvs, i) => {
          for (const cv of cvs) this.addValue(add, p.components![i].type, `${p.name}:${i}`, grp, cv);
        });
      }
    }
    return rows;
  }

  private addValue(add: (t: IndexTable, p: string, g: number, v: SqlValue[]) => void, type: ParamType, param: string, grp: number, v: unknown): void {
    switch (type) {
      case 'token': {
        const out: TokenEntry[] = [];
        toTokens(v, out);
        for (const t of out) {
          add('sp_token', param, grp, [t.system, t.code, t.text]);
          for (const ot of t.ofType ?? []) add('sp_token', `${param}:of-type`, grp, [ot, t.code, null]);
        }
        return;
      }
      case 'string': {
        const out: string[] = [];
        toStrings(v, out);
        for (const s of out) add('sp_string', param, grp, [normaliseString(s), s]);
        return;
      }
      case 'date': {
        const out: [string, string][] = [];
        toDates(v, out);
        for (const [lo, hi] of out) add('sp_date', param, grp, [lo, hi]);
        return;
      }
      case 'reference': {
        if (typeof v === 'string') return void add('sp_ref', param, grp, [null, null, v]);
        if (typeof v !== 'object' || v === null) return;
        const r = v as { reference?: unknown; identifier?: unknown };
        if (typeof r.reference === 'string') {
          const e = parseReference(r.reference, this.baseUrl, isResourceType);
          if (e) add('sp_ref', param, grp, [e.type, e.id, e.url]);
        }
        if (r.identifier) {
          const out: TokenEntry[] = [];
          toTokens(r.identifier, out);
          for (const t of out) add('sp_token', `${param}:identifier`, grp, [t.system, t.code, null]);
        }
        return;
      }
      case 'quantity': {
        const out: QuantityEntry[] = [];
        toQuantities(v, out);
        for (const q of out) add('sp_quantity', param, grp, [q.value, q.system, q.code, q.nvalue, q.ncode]);
        return;
      }
      case 'number': {
        const out: number[] = [];
        toNumbers(v, out);
        for (const n of out) add('sp_number', param, grp, [n]);
        return;
      }
      case 'uri':
        if (typeof v === 'string') add('sp_uri', param, grp, [v]);
        return;
      default:
        return;
    }
  }

  /**
   * The IndexHook the ResourceStore calls inside its write transaction. `writeMany` indexes a batch of new
   * resources with one multi-row INSERT per table (one round trip per table on PostgreSQL instead of per resource).
   */
  hook(): BatchIndexHook {
    const columns = Object.fromEntries(
      Object.entries(INDEX_TABLES).map(([t, cols]) => [t, [...COMMON_COLUMNS, ...cols]]),
    ) as Record<IndexTable, string[]>;
    const remove = async (tx: SqlTx, type: string, id: string) => {
      for (const t of Object.keys(INDEX_TABLES)) await tx.run(`DELETE FROM ${t} WHERE res_type = ? AND res_id = ?`, [type, id]);
    };
    return {
      write: async (tx, type, id, resource) => {
        // Version 1 has never been indexed: skip the seven DELETEs on the create/ingest path.
        const version = (resource.meta as { versionId?: string } | undefined)?.versionId;
        if (version !== '1') await remove(tx, type, id);
        const rows = this.extract(type, id, resource);
        for (const t of Object.keys(rows) as IndexTable[]) if (rows[t].length) await tx.insertMany(t, columns[t], rows[t]);
      },
      remove,
      writeMany: async (tx, items) => {
        const all = { sp_token: [], sp_string: [], sp_date: [], sp_ref: [], sp_quantity: [], sp_number: [], sp_uri: [] } as IndexRows;
        for (const { type, id, resource } of items) {
          const version = (resource.meta as { versionId?: string } | undefined)?.versionId;
          if (version !== '1') await remove(tx, type, id);
          const rows = this.extract(type, id, resource);
          for (const t of Object.keys(rows) as IndexTable[]) for (const r of rows[t]) all[t].push(r);
        }
        for (const t of Object.keys(all) as IndexTable[]) if (all[t].length) await tx.insertMany(t, columns[t], all[t]);
      },
    };
  }
}

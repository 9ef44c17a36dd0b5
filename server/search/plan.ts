// SearchParam → IdSet: a subquery yielding the ids of one resource type that match, for chains, _has and composites.
import { FhirError } from '../fhir/errors.ts';
import { isResourceType } from '../fhir/resource-types.ts';
import type { SqlValue } from '../store/driver.ts';
import type { ResourceStore } from '../store/resource-store.ts';
import * as C from './conditions.ts';
import type { CompiledParam, Indexer } from './indexer.ts';
import { chainSet, hasSet } from './chain.ts';
import { invalid, show, splitKeepEscapes, type SearchParam } from './parse.ts';
import type { ParamType } from './params.ts';
import { UNINDEXED_RANK } from './estimate.ts';
import { referenceCond } from './reference.ts';
import { valueSetMembers } from './valueset.ts';

/**
 * `SELECT idCol FROM from WHERE where`; `rank` orders sets by expected selectivity, the order in which they are
 * counted to choose the driver (estimate.ts); UNINDEXED_RANK and above are never read whole.
 */
export interface IdSet {
  from: string;
  idCol: string;
  where: string;
  params: SqlValue[];
  negate: boolean;
  rank: number;
  /** The index yields idCol in order for `where` (one equality on the whole value prefix, one stored parameter). */
  ordered?: boolean;
  /** `where` is one index range and the index orders its rows by these columns, then idCol. */
  byValue?: string[];
}

export const TABLE_OF: Record<string, string> = {
  token: 'sp_token', string: 'sp_string', date: 'sp_date', reference: 'sp_ref', quantity: 'sp_quantity', number: 'sp_number', uri: 'sp_uri',
};

const MODIFIERS: Record<string, string[]> = {
  token: ['not', 'text', 'of-type', 'in', 'not-in'],
  string: ['exact', 'contains'],
  uri: ['above', 'below'],
};

export type Sub = Pick<SearchParam, 'name' | 'modifier' | 'chain' | 'values'>;

/** `a.param IN (…)` over the parameters whose rows this one reads (itself, or what it aliases). */
export function paramIn(a: string, def: CompiledParam, suffix = ''): C.Cond {
  const names = def.stored.map((n) => n + suffix);
  const target = def.targetType && !suffix ? ` AND ${a}.target_type = ?` : '';
  return {
    sql: `${names.length === 1 ? `${a}.param = ?` : `${a}.param IN (${names.map(() => '?').join(', ')})`}${target}`,
    params: target ? [...names, def.targetType!] : names,
  };
}

export class Planner {
  private n = 0;
  constructor(
    readonly indexer: Indexer,
    readonly store: ResourceStore,
    readonly baseUrl: string,
    readonly now: Date,
  ) {}

  alias(): string {
    return `t${this.n++}`;
  }

  param(type: string, name: string): CompiledParam | undefined {
    return this.indexer.params(type).get(name);
  }

  /** The ids of `type` resources matching one (AND-ed) parameter; its values are OR-ed. */
  async idSet(type: string, p: Sub): Promise<IdSet> {
    if (p.chain.length) return chainSet(this, type, p);
    if (p.name.startsWith('_has:')) return hasSet(this, type, p);
    if (p.name === '_id' || p.name === '_lastUpdated') return this.resourceSet(type, p);
    if (p.name === '_list') return this.listSet(type, p);
    const def = this.param(type, p.name);
    if (!def || def.type === 'special') throw new FhirError('not-supported', `Unknown search parameter ${show(p.name)} for ${type}`);
    if (p.modifier === 'missing') return this.missingSet(type, def, p.values);
    const a = this.alias();
    const conds: C.Cond[] = [];
    let rank = 4;
    let negate = false;
    let suffix = '';
    let from = `${TABLE_OF[def.type] ?? 'sp_token'} ${a}`;
    if (def.type === 'composite') return this.compositeSet(type, def, p.values);
    if (def.type === 'reference') {
      if (p.modifier === 'identifier') {
        suffix = ':identifier';
        from = `sp_token ${a}`;
        for (const v of p.values) conds.push(C.tokenCond(a, v));
      } else {
        if (p.modifier && (!isResourceType(p.modifier) || (def.def.targets && !def.def.targets.includes(p.modifier)))) {
          throw new FhirError('not-supported', `Modifier :${p.modifier} is not valid for reference parameter ${show(p.name)}`);
        }
        // An alias bound to one target type (Observation.patient → subject as Patient) searches that type only.
        const targets = def.targetType ? [def.targetType] : def.def.targets;
        for (const v of p.values) conds.push(referenceCond(a, v, this.baseUrl, targets, p.modifier));
      }
      rank = 1;
    } else {
      if (p.modifier && !(MODIFIERS[def.type] ?? []).includes(p.modifier)) {
        throw new FhirError('not-supported', `Modifier :${p.modifier} is not supported on ${def.type} parameter ${show(p.name)}`);
      }
      if (p.modifier === 'of-type') suffix = ':of-type';
      negate = p.modifier === 'not' || p.modifier === 'not-in';
      for (const v of p.values) conds.push(await this.valueCond(a, def.type, v, p.modifier, p.name));
      rank = { token: 2, string: 3, uri: 3, quantity: 5, number: 5, date: 6 }[def.type as string] ?? 5;
    }
    if (conds.some((c) => c.unindexed)) rank = UNINDEXED_RANK;
    const single = conds.length === 1 && def.stored.length === 1;
    const ordered = single && conds[0].ordered === true;
    const byValue = single && !negate && rank < UNINDEXED_RANK ? conds[0].range?.map((c) => `${a}.${c}`) : undefined;
    const pin = paramIn(a, def, suffix);
    const where = `${a}.res_type = ? AND ${pin.sql} AND (${conds.map((c) => `(${c.sql})`).join(' OR ')})`;
    return { from, idCol: `${a}.res_id`, where, params: [type, ...pin.params, ...conds.flatMap((c) => c.params)], negate, rank, ordered, byValue };
  }

  async valueCond(a: string, type: ParamType, v: string, modifier: string | undefined, name: string): Promise<C.Cond> {
    switch (type) {
      case 'token':
        if (modifier === 'text') return C.tokenTextCond(a, v);
        if (modifier === 'of-type') {
          const parts = C.unescape(v).split('|');
          if (parts.length !== 3 || !parts[1] || !parts[2]) throw invalid(`${name}:of-type needs system|code|value, got ${show(v)}`);
          return { sql: `${a}.system = ? AND ${a}.code = ?`, params: [`${parts[0]}|${parts[1]}`, parts[2]], ordered: true };
        }
        if (modifier === 'in' || modifier === 'not-in') {
          const members = await valueSetMembers(this.store, C.unescape(v));
          if (members.length === 0) return { sql: '1 = 0', params: [] };
          return { sql: members.map(() => `(${a}.code = ? AND ${a}.system = ?)`).join(' OR '), params: members.flatMap(([s, c]) => [c, s]) };
        }
        return C.tokenCond(a, v);
      case 'string':
        return C.stringCond(a, v, modifier, name);
      case 'date':
        return C.dateCond(a, v, this.now);
      case 'number':
        return C.numberValueCond(a, v, name);
      case 'quantity':
        return C.quantityCond(a, v, name);
      case 'uri':
        return C.uriCond(a, v, modifier);
      case 'reference':
        return referenceCond(a, v, this.baseUrl, undefined, undefined);
      default:
        throw invalid(`${show(name)}: ${type} parameters are not supported`);
    }
  }

  private missingSet(type: string, def: CompiledParam, values: string[]): IdSet {
    if (values.length !== 1 || (values[0] !== 'true' && values[0] !== 'false')) throw invalid(`${def.name}:missing must be true or false`);
    const a = this.alias();
    const composite = def.type === 'composite';
    const table = TABLE_OF[composite ? def.components![0].type : def.type] ?? 'sp_token';
    const pin = paramIn(a, def, composite ? ':0' : '');
    return {
      from: `${table} ${a}`, idCol: `${a}.res_id`, where: `${a}.res_type = ? AND ${pin.sql}`,
      params: [type, ...pin.params], negate: values[0] === 'true', rank: 9,
    };
  }

  private async compositeSet(type: string, def: CompiledParam, values: string[]): Promise<IdSet> {
    const parts = def.components!;
    const aliases = parts.map(() => this.alias());
    const ors: C.Cond[] = [];
    for (const v of values) {
      const comps = splitKeepEscapes(v, '$');
      if (comps.length !== parts.length) throw invalid(`${def.name} needs ${parts.length} $-separated parts, got ${show(v)}`);
      const cs = await Promise.all(parts.map((c, i) => this.valueCond(aliases[i], c.type, comps[i], undefined, def.name)));
      ors.push({ sql: cs.map((c) => `(${c.sql})`).join(' AND '), params: cs.flatMap((c) => c.params) });
    }
    const [a0] = aliases;
    // grp numbers composite values uniquely within a resource, so the parts of one value join on it.
    const pins = parts.map((_, i) => paramIn(aliases[i], def, `:${i}`));
    const joins = parts.slice(1).map((c, i) => {
      const ai = aliases[i + 1];
      return `JOIN ${TABLE_OF[c.type]} ${ai} ON ${ai}.res_type = ${a0}.res_type AND ${ai}.res_id = ${a0}.res_id AND ${ai}.grp = ${a0}.grp AND ${pins[i + 1].sql}`;
    });
    return {
      from: `${TABLE_OF[parts[0].type]} ${a0} ${joins.join(' ')}`,
      idCol: `${a0}.res_id`,
      where: `${a0}.res_type = ? AND ${pins[0].sql} AND (${ors.map((o) => `(${o.sql})`).join(' OR ')})`,
      params: [...pins.slice(1).flatMap((p) => p.params), type, ...pins[0].params, ...ors.flatMap((o) => o.params)],
      negate: false,
      rank: 2,
    };
  }

  private resourceSet(type: string, p: Sub): IdSet {
    if (p.modifier) throw new FhirError('not-supported', `Modifier :${p.modifier} is not supported on ${p.name}`);
    const a = this.alias();
    if (p.name === '_id' && p.values.some((v) => !/^[A-Za-z0-9\-.]{1,64}$/.test(v))) throw invalid('_id values must be resource ids');
    const cond: C.Cond =
      p.name === '_id'
        ? { sql: `${a}.id IN (${p.values.map(() => '?').join(', ')})`, params: p.values.map(C.unescape) }
        : (() => {
            const cs = p.values.map((v) => C.instantCond(`${a}.last_updated`, v, this.now));
            return { sql: cs.map((c) => `(${c.sql})`).join(' OR '), params: cs.flatMap((c) => c.params) };
          })();
    return { from: `resources ${a}`, idCol: `${a}.id`, where: `${a}.type = ? AND ${a}.deleted = 0 AND (${cond.sql})`, params: [type, ...cond.params], negate: false, rank: p.name === '_id' ? 0 : 7 };
  }

  private listSet(type: string, p: Sub): IdSet {
    const a = this.alias();
    const ids = p.values.map(C.unescape);
    if (ids.some((id) => !/^[A-Za-z0-9\-.]{1,64}$/.test(id))) throw invalid('_list takes List ids');
    return {
      from: `sp_ref ${a}`, idCol: `${a}.target_id`,
      where: `${a}.res_type = 'List' AND ${a}.param = 'item' AND ${a}.target_type = ? AND ${a}.res_id IN (${ids.map(() => '?').join(', ')})`,
      params: [type, ...ids], negate: false, rank: 1,
    };
  }
}

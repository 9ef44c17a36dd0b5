// Chained parameters (`subject:Patient.name=smi`, several levels) and reverse chaining (`_has:Observation:patient:code=x`)
// as IdSets over the reference index (https://hl7.org/fhir/R4/search.html#chaining).
import { FhirError } from '../fhir/errors.ts';
import { isResourceType } from '../fhir/resource-types.ts';
import type { Cond } from './conditions.ts';
import { invalid, parseName, show } from './parse.ts';
import { paramIn, type IdSet, type Planner, type Sub } from './plan.ts';

/** `subject:Patient.name=smi`: references whose target matches the rest of the chain. */
export async function chainSet(planner: Planner, type: string, p: Sub): Promise<IdSet> {
  const [link, ...rest] = p.chain;
  const def = planner.param(type, link.param);
  if (!def) throw new FhirError('not-supported', `Unknown search parameter ${show(link.param)} for ${type}`);
  if (def.type !== 'reference') throw invalid(`${show(link.param)} is a ${def.type} parameter and cannot be chained`);
  const next = rest.length ? rest[0].param : p.name;
  let targets = link.type ? [link.type] : (def.def.targets ?? []).filter((t) => next.startsWith('_') || planner.param(t, next));
  if (link.type && def.def.targets && !def.def.targets.includes(link.type)) throw invalid(`${show(link.param)} cannot refer to ${show(link.type)}`);
  if (targets.length === 0) throw new FhirError('not-supported', `No target of ${type}.${link.param} has a parameter ${show(next)}`);
  targets = targets.slice(0, 10);
  const a = planner.alias();
  const ors: Cond[] = [];
  for (const t of targets) {
    const inner = await planner.idSet(t, { ...p, chain: rest });
    ors.push({ sql: `${a}.target_type = ? AND ${a}.target_id ${inner.negate ? 'NOT IN' : 'IN'} (SELECT ${inner.idCol} FROM ${inner.from} WHERE ${inner.where})`, params: [t, ...inner.params] });
  }
  const pin = paramIn(a, def);
  return {
    from: `sp_ref ${a}`, idCol: `${a}.res_id`,
    where: `${a}.res_type = ? AND ${pin.sql} AND (${ors.map((o) => `(${o.sql})`).join(' OR ')})`,
    params: [type, ...pin.params, ...ors.flatMap((o) => o.params)], negate: false, rank: 4,
  };
}

/** `_has:Observation:patient:code=x`: resources referred to by matching Observations. */
export async function hasSet(planner: Planner, type: string, p: Sub): Promise<IdSet> {
  const m = /^_has:([A-Za-z]+):([A-Za-z0-9_-]+):(.+)$/.exec(p.name);
  if (!m || !isResourceType(m[1])) throw invalid(`Malformed _has parameter ${show(p.name)}`);
  const [, source, refName, restName] = m;
  const ref = planner.param(source, refName);
  if (!ref || ref.type !== 'reference') throw invalid(`_has: ${show(`${source}.${refName}`)} is not a reference parameter`);
  if (ref.def.targets && !ref.def.targets.includes(type)) throw invalid(`_has: ${source}.${refName} cannot refer to ${type}`);
  const inner = await planner.idSet(source, { ...parseName(restName), values: p.values });
  const a = planner.alias();
  const pin = paramIn(a, ref);
  return {
    from: `sp_ref ${a}`, idCol: `${a}.target_id`,
    where: `${a}.res_type = ? AND ${pin.sql} AND ${a}.target_type = ? AND ${a}.res_id ${inner.negate ? 'NOT IN' : 'IN'} (SELECT ${inner.idCol} FROM ${inner.from} WHERE ${inner.where})`,
    params: [source, ...pin.params, type, ...inner.params], negate: false, rank: 3,
  };
}

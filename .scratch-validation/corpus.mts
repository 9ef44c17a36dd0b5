import { readFileSync } from 'node:fs';
import { createValidator } from '../server/validation/validator.ts';
const root = '/work/shared/corpora/fhir-test-cases/';
const summary = JSON.parse(readFileSync(root + 'manifest-r4-json.summary.json', 'utf8'));
const all = process.argv.includes('--all');
const cases = summary.cases.filter((c: any) => c.filesPresent && !c.txDependent && !c.packages.length && c.useTest && (all || (!c.supporting.length && !c.profile)));
const v = await createValidator();
let agree = 0; const fa: string[] = []; const fr: string[] = [];
for (const c of cases) {
  const text = readFileSync(root + 'validator/' + c.file, 'utf8');
  let issues: any[];
  try { issues = v.validate(JSON.parse(text)); } catch (e) { issues = [{ severity: 'fatal', diagnostics: 'parse: ' + (e as Error).message, expression: [] }]; }
  const errs = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  const expInvalid = c.expected.errors > 0;
  if (expInvalid === errs.length > 0) agree++;
  else if (expInvalid) fa.push(`${c.module} ${c.name} (${c.file})`);
  else fr.push(`${c.module} ${c.name} (${c.file}): ${errs.slice(0, 3).map((i) => i.expression[0] + ' ' + i.diagnostics.slice(0, 140)).join(' | ')}`);
}
console.log(`agree ${agree}/${cases.length}`);
console.log('FALSE ACCEPT', fa.length); fa.forEach((x) => console.log('  ', x));
console.log('FALSE REJECT', fr.length); fr.forEach((x) => console.log('  ', x));

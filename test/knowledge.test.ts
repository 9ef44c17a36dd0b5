// The knowledge base shipped in knowledge/ is the shared reference data, unchanged.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const OURS = path.resolve(import.meta.dirname, '../knowledge');
const SHARED = path.resolve(import.meta.dirname, '../../shared/reference/data');
const FILES = ['psych-meds.json', 'psych-interactions.json', 'psych-monitoring.json', 'psych-scales.json', 'rxnorm-subset.json'];

describe('knowledge base copy', () => {
  it.each(FILES)('%s matches ../shared/reference/data byte for byte', (file) => {
    expect(fs.readFileSync(path.join(OURS, file)).equals(fs.readFileSync(path.join(SHARED, file)))).toBe(true);
  });
});

// Chooses the search engine the server runs with: the full engine over the official R4 SearchParameters.
import type { SearchEngine } from './engine.ts';
import { createSearchEngine } from './index.ts';

export async function createSearch(opts: { baseUrl?: string; now?: () => Date } = {}): Promise<SearchEngine> {
  return createSearchEngine(opts);
}

// Chooses the search engine the server runs with (the full engine once search/index.ts provides it).
import type { SearchEngine } from './engine.ts';
import { createBasicSearch } from './basic.ts';

export async function createSearch(): Promise<SearchEngine> {
  return createBasicSearch();
}

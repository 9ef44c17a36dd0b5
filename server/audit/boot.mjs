// Worker threads do not inherit `--import tsx`: this plain module registers the TypeScript loader in the
// worker's own thread, then loads the TypeScript entry named in workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);

// Worker threads do not inherit `--import tsx`. This boot file registers tsx's require hook in the worker's own
// thread and requires the TypeScript entry named in workerData.entry (a file path). The require hook runs in the
// thread itself; tsx's ESM hooks would start one more thread (an isolate) per worker, about 30 MB each (measured
// 2026-12-01). Entries therefore avoid top-level await.
const { workerData } = require('node:worker_threads');
require('tsx/cjs/api').register();
require(workerData.entry);

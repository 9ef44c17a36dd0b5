// Prometheus text metrics: request counts by method and status class, a latency histogram, memory, and gauges the
// caller supplies (the audit trail's backlog).
export interface Gauge {
  readonly name: string;
  readonly help: string;
  readonly value: number;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class Metrics {
  private readonly counts = new Map<string, number>();
  private readonly bucketCounts = new Array<number>(BUCKETS.length + 1).fill(0);
  private sum = 0;
  private total = 0;

  observe(method: string, status: number, seconds: number): void {
    const key = `${method}|${Math.floor(status / 100)}xx`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const i = BUCKETS.findIndex((b) => seconds <= b);
    this.bucketCounts[i < 0 ? BUCKETS.length : i]++;
    this.sum += seconds;
    this.total++;
  }

  render(gauges: readonly Gauge[] = []): string {
    const lines = ['# HELP titrate_http_requests_total HTTP requests by method and status class', '# TYPE titrate_http_requests_total counter'];
    for (const [key, n] of this.counts) {
      const [method, status] = key.split('|');
      lines.push(`titrate_http_requests_total{method="${method}",status="${status}"} ${n}`);
    }
    lines.push('# HELP titrate_http_request_duration_seconds Request latency', '# TYPE titrate_http_request_duration_seconds histogram');
    let cumulative = 0;
    BUCKETS.forEach((b, i) => {
      cumulative += this.bucketCounts[i];
      lines.push(`titrate_http_request_duration_seconds_bucket{le="${b}"} ${cumulative}`);
    });
    lines.push(`titrate_http_request_duration_seconds_bucket{le="+Inf"} ${this.total}`);
    lines.push(`titrate_http_request_duration_seconds_sum ${this.sum}`, `titrate_http_request_duration_seconds_count ${this.total}`);
    const mem = process.memoryUsage();
    lines.push('# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${mem.rss}`);
    // Where the resident memory goes: the JavaScript heap, and memory held outside it (Buffers, native addons).
    lines.push('# TYPE nodejs_heap_size_total_bytes gauge', `nodejs_heap_size_total_bytes ${mem.heapTotal}`);
    lines.push('# TYPE nodejs_heap_size_used_bytes gauge', `nodejs_heap_size_used_bytes ${mem.heapUsed}`);
    lines.push('# TYPE nodejs_external_memory_bytes gauge', `nodejs_external_memory_bytes ${mem.external}`);
    for (const g of gauges) lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} gauge`, `${g.name} ${g.value}`);
    return lines.join('\n') + '\n';
  }
}

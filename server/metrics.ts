// `GET /metrics` (Prometheus text format 0.0.4): HTTP requests by method, route and status, runs
// started and finished by status, open event streams. Counted in this process only.
export class Metrics {
  private readonly requests = new Map<string, number>();
  private started = 0;
  private readonly finished = new Map<string, number>();
  sseClients = 0;

  request(method: string, route: string, status: number): void {
    const k = `method="${method}",route="${esc(route)}",status="${status}"`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
  }

  runStarted(): void {
    this.started++;
  }

  runFinished(status: string): void {
    this.finished.set(status, (this.finished.get(status) ?? 0) + 1);
  }

  text(): string {
    const lines = [
      "# HELP awr_http_requests_total HTTP requests answered, by method, route and status.",
      "# TYPE awr_http_requests_total counter",
      ...[...this.requests].map(([k, v]) => `awr_http_requests_total{${k}} ${v}`),
      "# HELP awr_runs_started_total Runs started over HTTP by this process.",
      "# TYPE awr_runs_started_total counter",
      `awr_runs_started_total ${this.started}`,
      "# HELP awr_run_executions_total Executions (start, resume, resolve) that stopped in this process, by the status the run reached.",
      "# TYPE awr_run_executions_total counter",
      ...[...this.finished].map(([s, v]) => `awr_run_executions_total{status="${s}"} ${v}`),
      "# HELP awr_sse_clients Open event streams (GET /v1/runs/{id}/events).",
      "# TYPE awr_sse_clients gauge",
      `awr_sse_clients ${this.sseClients}`,
    ];
    return `${lines.join("\n")}\n`;
  }
}

const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of the API process. Labels carry route patterns and event names, never ids. */
export interface ApiMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  webhookEvents: Counter<'event' | 'outcome'>;
  duplicates: Counter<'kind'>;
  workflowSignals: Counter<'workflow' | 'outcome'>;
}

export function createApiMetrics(registry: Registry = new Registry()): ApiMetrics {
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    webhookEvents: new Counter({
      name: 'webhook_events_total',
      help: 'WPPConnect webhook events by event name and outcome',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'duplicates_total',
      help: 'Requests recognised as duplicates (webhook redeliveries, idempotent API replays)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    workflowSignals: new Counter({
      name: 'workflow_signals_total',
      help: 'Signal-with-starts the API made (one per accepted message), by workflow type and outcome',
      labelNames: ['workflow', 'outcome'],
      registers: [registry],
    }),
  };
}

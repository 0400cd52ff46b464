import type { AppDeps } from '../deps';
import type { ApiMetrics } from '../metrics';
import type { WorkflowGateway } from '../workflows';

/** What every route factory receives. */
export interface RouteContext {
  deps: AppDeps;
  gateway: WorkflowGateway;
  metrics: ApiMetrics;
}

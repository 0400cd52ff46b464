import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../config/config';
import type { WorkflowIds } from '../contracts';
import type { OperatorRepository } from '../db/operators';
import type { IConversationRepository } from '../db/types';
import type { MediaStore } from '../media/store';
import type { Logger } from '../observability/logger';
import type { MedicalCore } from '../triage/types';
import type { LidResolver } from '../wppconnect/contacts';
import type { ApiMetrics } from './metrics';

/** Everything the HTTP app needs; api/main.ts builds it, tests build their own. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  repo: IConversationRepository;
  temporal: Client;
  medicalCore: MedicalCore;
  mediaStore: MediaStore;
  /** The payload codec the codec server runs; undefined when payloads are not encrypted. */
  payloadCodec?: PayloadCodec;
  /** Origins allowed to call /codec/* from a browser (the Temporal Web UI). */
  codecCorsOrigins?: string[];
  /** A fresh registry per app unless given (tests build several apps in one process). */
  metrics?: ApiMetrics;
  /** Injected clock for the rate limiters, the failed-authentication throttle and the readiness cache. */
  now?: () => number;
  /** Workflow ids and search-attribute values (pseudonymous with a payload key); readable by default. */
  ids?: WorkflowIds;
  /** Phone numbers behind `@lid` webhook senders (contact/pn-lid, cached); without it they stay unknown. */
  contacts?: LidResolver;
  /** Deadline of one Temporal call made while answering a request. */
  temporalRpcTimeoutMs?: number;
  /** Operator accounts: the operator console is served at /console when given (docs/console.md). */
  operators?: OperatorRepository;
  /** Aborted when the process shuts down: long-lived responses (the console's event streams) end. */
  stopping?: AbortSignal;
}

import type { Client } from '@temporalio/client';
import type { Config } from '../config/config';
import type { IConversationRepository } from '../db/types';
import type { MediaStore } from '../media/store';
import type { Logger } from '../observability/logger';
import type { MedicalCore, PatientRecordProvider } from '../triage/types';
import type { IWhatsAppService } from '../wppconnect/types';
import { createConversationActivities } from './conversation-activities';
import { createMessageActivities } from './message-activities';
import { createSendActivities, type SessionGate } from './send-activities';
import { createSessionActivities, createSessionGate } from './session-activities';

/** Everything the activities of the pipeline depend on; built once per worker process by worker/main.ts. */
export interface ActivityDeps {
  config: Config;
  repo: IConversationRepository;
  patients?: PatientRecordProvider;
  mediaStore: MediaStore;
  wpp: IWhatsAppService;
  medicalCore: MedicalCore;
  client: Client;
  logger: Logger;
  /** Defaults to the session keeper's circuit breaker. */
  sessionGate?: SessionGate;
}

/** Activities of the main task queue. */
export function createActivities(deps: ActivityDeps) {
  const { config } = deps;
  return {
    ...createMessageActivities(deps),
    ...createConversationActivities({
      client: deps.client,
      taskQueue: config.temporal.taskQueue,
      clinicianAlertUrl: config.clinicianAlertUrl,
      settings: {
        quietWindowMs: config.quietWindowMs,
        deliveryTimeoutMs: config.deliveryTimeoutMs,
        turnLeaseMs: 15 * 60 * 1000,
      },
    }),
    ...createSessionActivities({
      wpp: deps.wpp,
      repo: deps.repo,
      mediaStore: deps.mediaStore,
      temporalClient: deps.client,
      config: {
        sessions: config.wppconnect.sessions,
        publicUrl: config.publicUrl,
        webhookToken: config.webhookToken,
        taskQueue: config.temporal.taskQueue,
        clinicianAlertUrl: config.clinicianAlertUrl,
      },
      logger: deps.logger,
    }),
  };
}

/** Activities of the send task queue (rate limited by the worker). */
export function createSendQueueActivities(deps: ActivityDeps) {
  return createSendActivities({
    wpp: deps.wpp,
    repo: deps.repo,
    mediaStore: deps.mediaStore,
    sessionGate: deps.sessionGate ?? createSessionGate({ client: deps.client }),
  });
}

export type Activities = ReturnType<typeof createActivities>;
export type SendQueueActivities = ReturnType<typeof createSendQueueActivities>;

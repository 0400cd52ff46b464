import type { Client } from '@temporalio/client';
import type { Config } from '../config/config';
import { plainWorkflowIds, type WorkflowIds } from '../contracts';
import type { IConversationRepository } from '../db/types';
import type { MediaStore } from '../media/store';
import type { Logger } from '../observability/logger';
import type { MedicalCore, PatientRecordProvider } from '../triage/types';
import type { IWhatsAppService } from '../wppconnect/types';
import { createAlertActivities, createAlertClient, type AlertClient } from './alerts';
import { createDeliveryActivities } from './delivery-activities';
import { createMessageActivities } from './message-activities';
import { createMessageRecords } from './message-records';
import { createSendActivities, type SessionGate } from './send-activities';
import { createLidResolver } from '../wppconnect/contacts';
import { createCatchUpActivities } from './catch-up';
import { createSessionControlActivities } from './session-control';
import { createSessionGate } from './session-gate';

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
  /** Workflow ids (pseudonymous with a payload key); readable by default. */
  ids?: WorkflowIds;
  /** Defaults to a JSON POST to CLINICIAN_ALERT_URL. */
  alerts?: AlertClient;
  /** Defaults to the session keeper's circuit breaker. */
  sessionGate?: SessionGate;
}

/** Activities of the main task queue. */
export function createActivities(deps: ActivityDeps) {
  const { config } = deps;
  const ids = deps.ids ?? plainWorkflowIds;
  const alerts =
    deps.alerts ??
    createAlertClient({
      url: config.clinicianAlertUrl,
      secret: config.clinicianAlertSecret,
      production: config.nodeEnv === 'production',
    });
  return {
    ...createMessageActivities({
      repo: deps.repo,
      mediaStore: deps.mediaStore,
      wpp: deps.wpp,
      medicalCore: deps.medicalCore,
      patients: deps.patients,
      client: deps.client,
      taskQueue: config.temporal.taskQueue,
      ids,
      settings: {
        quietWindowMs: config.quietWindowMs,
        replyMaxAgeMs: config.replyMaxAgeMs,
        humanReplyPausesBot: config.humanReplyPausesBot,
        assessLocally: config.ai.provider === 'rules',
        sendTaskQueue: config.temporal.sendTaskQueue,
        emergencyAttribute: ids.triageAttribute('emergency') ?? 'escalated',
      },
    }),
    ...createAlertActivities({ alerts, escalations: deps.repo }),
    ...createDeliveryActivities({
      repo: deps.repo,
      wpp: deps.wpp,
      alerts,
      deliveryTimeoutMs: config.deliveryTimeoutMs,
      ids,
    }),
    ...createSessionControlActivities({
      wpp: deps.wpp,
      mediaStore: deps.mediaStore,
      config: {
        sessions: config.wppconnect.sessions,
        publicUrl: config.publicUrl,
        webhookToken: config.webhookToken,
        stuckMs: config.sessionKeeper.stuckMs,
      },
      logger: deps.logger,
    }),
    ...createCatchUpActivities({
      wpp: deps.wpp,
      repo: deps.repo,
      temporalClient: deps.client,
      ids,
      contacts: createLidResolver({ wpp: deps.wpp }),
      config: { sessions: config.wppconnect.sessions, taskQueue: config.temporal.taskQueue },
      logger: deps.logger,
    }),
  };
}

/** Activities of the send task queue (rate limited by the worker); an assistant reply is recorded there too. */
export function createSendQueueActivities(deps: ActivityDeps) {
  return createSendActivities({
    wpp: deps.wpp,
    repo: deps.repo,
    records: createMessageRecords({
      repo: deps.repo,
      client: deps.client,
      taskQueue: deps.config.temporal.taskQueue,
      ids: deps.ids ?? plainWorkflowIds,
    }),
    mediaStore: deps.mediaStore,
    sessionGate: deps.sessionGate ?? createSessionGate({ client: deps.client, ids: deps.ids }),
  });
}

export type Activities = ReturnType<typeof createActivities>;
export type SendQueueActivities = ReturnType<typeof createSendQueueActivities>;

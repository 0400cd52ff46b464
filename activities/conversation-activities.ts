import { ApplicationFailure } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { request, type Dispatcher } from 'undici';
import {
  conversationWorkflowId,
  requestTurnSignal,
  SA_CHAT_ID,
  SA_WHATSAPP_SESSION,
  type ConversationWorkflowInput,
  type TurnRequest,
} from '../workflows/definitions';

/**
 * Activities that talk to Temporal itself (workflows cannot signal-with-start) and to the outside world
 * on behalf of the pipeline (clinician alerts), plus the settings workflows read from configuration.
 */

export interface PipelineSettings {
  quietWindowMs: number;
  deliveryTimeoutMs: number;
  /** How long a turn may be held before the conversation checks whether its holder still runs. */
  turnLeaseMs: number;
}

export interface ConversationActivityDeps {
  client: Client;
  taskQueue: string;
  settings: PipelineSettings;
  clinicianAlertUrl?: string;
  dispatcher?: Dispatcher;
  alertTimeoutMs?: number;
}

export interface ClinicianAlert {
  kind: 'escalation' | 'undelivered-escalated-reply' | 'message-while-escalated';
  session: string;
  chatId: string;
  triageLevel?: string;
  redFlags?: string[];
  workflowId: string;
}

export function createConversationActivities(deps: ConversationActivityDeps) {
  return {
    getPipelineSettings(): Promise<PipelineSettings> {
      return Promise.resolve(deps.settings);
    },

    /** Signal-with-start on the chat's conversation workflow: the single point of order for the chat. */
    async requestTurn(input: { session: string; chatId: string; turn: TurnRequest }): Promise<void> {
      const workflowId = conversationWorkflowId(input.session, input.chatId);
      await deps.client.workflow.signalWithStart('conversationWorkflow', {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [{ session: input.session, chatId: input.chatId } satisfies ConversationWorkflowInput],
        signal: requestTurnSignal,
        signalArgs: [input.turn],
        typedSearchAttributes: [
          { key: SA_CHAT_ID, value: input.chatId },
          { key: SA_WHATSAPP_SESSION, value: input.session },
        ],
      });
    },

    /** Lets a conversation recover a turn whose holder was terminated or timed out. */
    async isWorkflowRunning(input: { workflowId: string }): Promise<boolean> {
      try {
        const description = await deps.client.workflow.getHandle(input.workflowId).describe();
        return description.status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },

    /**
     * POSTs to CLINICIAN_ALERT_URL. No message text leaves the system this way: the alert names the chat,
     * the triage level and the red-flag rule ids; clinicians read the conversation through the API.
     */
    async alertClinician(alert: ClinicianAlert): Promise<{ delivered: boolean }> {
      if (!deps.clinicianAlertUrl) return { delivered: false };
      const res = await request(deps.clinicianAlertUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...alert, at: new Date().toISOString() }),
        dispatcher: deps.dispatcher,
        headersTimeout: deps.alertTimeoutMs ?? 10_000,
        bodyTimeout: deps.alertTimeoutMs ?? 10_000,
      });
      await res.body.dump();
      if (res.statusCode >= 500 || res.statusCode === 429 || res.statusCode === 408) {
        throw new Error(`clinician alert endpoint answered ${res.statusCode}`);
      }
      if (res.statusCode >= 400) {
        throw ApplicationFailure.nonRetryable(
          `clinician alert endpoint refused the alert with ${res.statusCode}`,
          'AlertRejected',
        );
      }
      return { delivered: true };
    },
  };
}

export type ConversationActivities = ReturnType<typeof createConversationActivities>;

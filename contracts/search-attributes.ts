/** Search attributes (Keyword). Registered by scripts/start for the dev server; docs/deploy.md for clusters. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA_CHAT_ID = defineSearchAttributeKey('ChatId', SearchAttributeType.KEYWORD);
export const SA_WHATSAPP_SESSION = defineSearchAttributeKey('WhatsAppSession', SearchAttributeType.KEYWORD);
export const SA_PATIENT_ID = defineSearchAttributeKey('PatientId', SearchAttributeType.KEYWORD);
export const SA_TRIAGE_LEVEL = defineSearchAttributeKey('TriageLevel', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTE_NAMES = ['ChatId', 'WhatsAppSession', 'PatientId', 'TriageLevel'] as const;

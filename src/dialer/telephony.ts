// The Telephony port: how the dial worker places one call. Adapters (LiveKit, Sim) report what
// happens to the call through CallEvents, exactly once per call: `call.answered` or `call.failed`
// (plus, for the Sim, the agent's later events). The dial worker never touches a provider itself.
import type { CampaignConfig } from '../core/campaign.js';
import type { EventType } from '../core/domain.js';
import type { DialFailureOutcome } from '../core/event-data.js';

export interface DialRequest {
  attemptId: string;
  orgId: string;
  campaignId: string;
  batchId: string;
  contactId: string;
  /** 1 = first call of this contact. */
  attempt: number;
  /** E.164. Log it only through maskPhone. */
  phone: string;
  /** `call-<attemptId>`: also written to attempts.room_name before dialling. */
  roomName: string;
  campaign: CampaignConfig;
  /** The contact's IANA zones (the calling window must be open in all of them). */
  timezones: readonly string[];
  /** The contact's template variables ({{first_name}} …). */
  variables: Readonly<Record<string, string>>;
}

export interface DialFailure {
  outcome: DialFailureOutcome;
  /** SIP response code when the far end or the trunk gave one (486, 603 …). */
  sipStatus: number | null;
  /** SIP reason phrase, or what went wrong when there was no SIP response. */
  reason: string;
}

export type DialResult =
  | { kind: 'answered'; roomName: string; sipCallId: string | null }
  | { kind: 'failed'; roomName: string; failure: DialFailure };

export interface CallEvents {
  /** Sends an event about this call to `call-events`. */
  emit(type: EventType, data: Record<string, unknown>): Promise<void>;
  /** Called once, right before the call is handed to the phone network (the INVITE). */
  ringing(): void;
}

export interface Telephony {
  readonly kind: 'livekit' | 'sim';
  /** Prepares provider resources (the SIP trunk); safe to call from several processes at once. */
  start(): Promise<void>;
  dial(call: DialRequest, events: CallEvents): Promise<DialResult>;
  /** Waits for calls this adapter still drives (the Sim's agent part), then releases resources. */
  close(): Promise<void>;
}

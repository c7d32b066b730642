// What a call carries into LiveKit: the room's metadata, the agent's dispatch metadata (its whole
// brief: spoken texts filled in with the contact's variables; the instructions left as a template
// with the values they use beside them, as data, so a contact's fields cannot become instructions
// to the model; the agent never sees the rest of the contact row), and where the recording goes.
// Pure functions; the adapters only send them.
import { voicemailText } from '../core/campaign.js';
import { renderTemplate, templateData } from '../core/template.js';
import type { DialRequest } from './telephony.js';
import type { AgentDispatchMetadata } from '../core/dispatch-metadata.js';

export const AGENT_NAME = 'outdial-agent';
/** The SIP participant's identity in the room; the agent waits for it. */
export const CALLEE_IDENTITY = 'callee';

/** Read by the agent (src/agent) from `ctx.job.metadata`; keep in step with it. */
export type { AgentDispatchMetadata };

export function agentDispatchMetadata(call: DialRequest): AgentDispatchMetadata {
  const c = call.campaign;
  const fill = (text: string | null): string | null =>
    text === null ? null : renderTemplate(text, call.variables);
  return {
    attemptId: call.attemptId,
    orgId: call.orgId,
    campaignId: call.campaignId,
    batchId: call.batchId,
    mode: c.mode,
    message: fill(c.message),
    instructions: c.instructions,
    contactData: templateData(c.instructions, call.variables),
    greeting: fill(c.greeting),
    amd: { enabled: c.amd.enabled, onMachine: c.amd.onMachine },
    voicemailMessage: fill(voicemailText(c)),
    maxCallSeconds: c.maxCallSeconds,
    outcomeSchema: c.outcomeSchema,
    voice: c.voice,
    timezones: [...call.timezones],
    schedule: c.schedule,
    transfer: c.mode === 'two_way' && c.transfer ? { to: c.transfer.to, announce: fill(c.transfer.announce) } : null,
  };
}

/** Room metadata: ids only, so a LiveKit webhook (room_finished) can be tied back to the attempt. */
export function roomMetadata(call: DialRequest): string {
  return JSON.stringify({
    attemptId: call.attemptId,
    orgId: call.orgId,
    campaignId: call.campaignId,
    batchId: call.batchId,
    contactId: call.contactId,
  });
}

export function recordingPath(call: Pick<DialRequest, 'campaignId' | 'batchId' | 'attemptId'>): string {
  return `recordings/${call.campaignId}/${call.batchId}/${call.attemptId}.ogg`;
}

export function roomNameFor(attemptId: string): string {
  return `call-${attemptId}`;
}

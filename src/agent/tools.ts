// The two-way agent's tools. Each one records its result on the CallRecord (delivered in
// call.completed) and never touches a database: sinks turn callbackAt into the contact's next
// attempt, optOut into a DNC entry and outcomeData into the webhook. Invalid arguments are
// answered with a ToolError the model can read and correct. end_call, opt_out and transfer_call
// (tools with consequences for the person) act only on the callee's request. transfer_call also
// reports as it goes (call.transferred / call.transfer_failed), since a failed transfer is not
// the end of the call.
import { llm, type voice } from '@livekit/agents';
import type { JSONSchema7 } from 'json-schema';
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { isOpen, nextOpen } from '../core/calling-window.js';
import type { Schedule } from '../core/campaign.js';
import { calleeRequestProblem, calleeTurns } from './callee-request.js';
import type { CallRecord } from './call-record.js';
import type { EventType } from '../core/domain.js';
import type { CallTransferFailedData, CallTransferredData } from '../core/event-data.js';
import { referTarget, type PlaceTransfer } from './transfer.js';

/** Callbacks further out than this are more likely a misheard date than a plan. */
const MAX_CALLBACK_DAYS = 60;

export interface CallToolHost {
  record: CallRecord;
  /** The campaign's outcomeSchema (a JSON schema for an object), or null for free-form notes. */
  outcomeSchema: Record<string, unknown> | null;
  /** The contact's zones; the first one reads local times. Empty: local times are read in UTC. */
  timezones: readonly string[];
  schedule: Schedule | null;
  now(): Date;
  /**
   * end_call / opt_out: hangs up once the goodbye the model is about to say has played.
   * transferred: the callee is with someone else now; the conversation is over at once.
   */
  endCall(reason: 'end_call' | 'opt_out' | 'transferred'): void;
  /** The campaign's transfer; absent or null: transfer_call is not offered. */
  transfer?: TransferHost | null | undefined;
}

export interface TransferHost {
  /** The campaign's target: E.164 number or SIP URI. */
  to: string;
  /** Said verbatim before the REFER; null: only the model's own words. */
  announce: string | null;
  place: PlaceTransfer;
  emit(type: Extract<EventType, 'call.transferred' | 'call.transfer_failed'>, data: CallTransferredData | CallTransferFailedData): Promise<void>;
}

const FREE_FORM_OUTCOME = {
  type: 'object',
  properties: { summary: { type: 'string', description: 'One sentence on how the call went' } },
  required: ['summary'],
} as const;

/** Reads "2026-03-04T15:30" in the contact's zone (an explicit offset wins). */
export function parseCallbackTime(text: string, zone: string): DateTime | null {
  const parsed = DateTime.fromISO(text.trim(), { zone, setZone: true });
  return parsed.isValid ? parsed : null;
}

function scheduleCallback(host: CallToolHost, localDateTime: string): string {
  const zone = host.timezones.find((z) => IANAZone.isValidZone(z)) ?? 'UTC';
  const at = parseCallbackTime(localDateTime, zone);
  if (!at) throw new llm.ToolError(`"${localDateTime}" is not a date-time; use the form 2026-03-04T15:30`);
  const now = host.now();
  const date = at.toJSDate();
  if (date.getTime() <= now.getTime()) throw new llm.ToolError('that time has already passed; ask for a later one');
  if (date.getTime() - now.getTime() > MAX_CALLBACK_DAYS * 86_400_000) {
    throw new llm.ToolError(`callbacks can be at most ${MAX_CALLBACK_DAYS} days ahead; ask for an earlier time`);
  }
  if (host.schedule && !isOpen(host.timezones, host.schedule, date)) {
    const next = nextOpen(host.timezones, host.schedule, date);
    const hint = next ? ` The next time we may call is ${DateTime.fromJSDate(next, { zone }).toFormat("cccc d LLLL 'at' HH:mm")}.` : '';
    throw new llm.ToolError(`we are not allowed to call at that time.${hint} Offer that or ask for another time.`);
  }
  host.record.callbackAt = date.toISOString();
  return `Callback booked for ${at.setZone(zone).toFormat("cccc d LLLL 'at' HH:mm")} (${zone}). Confirm it to the caller.`;
}

function recordOutcome(host: CallToolHost, args: Record<string, unknown>): string {
  const schema = z.fromJSONSchema((host.outcomeSchema ?? FREE_FORM_OUTCOME) as Parameters<typeof z.fromJSONSchema>[0]);
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new llm.ToolError(`outcome does not match the required shape: ${issues}`);
  }
  host.record.outcomeData = parsed.data as Record<string, unknown>;
  return 'Outcome recorded.';
}

/** The argument a tool with consequences asks for: the callee's request, in their words. */
export const calleeWordsParameter = z.object({
  calleeWords: z.string().describe('The words the person used to ask for this, quoted exactly as they said them'),
});

/** Runs `act` only when the callee's own words allow it (callee-request.ts); otherwise the model is told why. */
export function onCalleeRequest(
  ctx: voice.RunContext,
  quote: string | undefined,
  act: () => string | Promise<string>,
): Promise<string> {
  const problem = calleeRequestProblem(calleeTurns(ctx.session.history.items), quote);
  if (problem) throw new llm.ToolError(problem);
  return Promise.resolve(act());
}

/** Announces, transfers, reports; the model reads the returned text (or the error) and goes on. */
async function transferCall(host: CallToolHost, t: TransferHost, ctx: voice.RunContext): Promise<string> {
  const { record } = host;
  if (record.transferredTo !== null || record.transferInFlight) {
    throw new llm.ToolError('A transfer is already under way: say nothing more.');
  }
  let settle!: () => void;
  record.transferInFlight = new Promise<void>((resolve) => (settle = resolve));
  try {
    // Whatever the model said with the call ("let me put you through") plays out first.
    await ctx.waitForPlayout();
    if (t.announce) await ctx.session.say(t.announce, { allowInterruptions: false }).waitForPlayout();
    const result = await t.place(referTarget(t.to));
    if (result.ok) {
      record.transferredTo = t.to;
      await t.emit('call.transferred', { to: t.to });
      host.endCall('transferred');
      return 'The person has been transferred and is no longer on the line. Say nothing more.';
    }
    await t.emit('call.transfer_failed', { to: t.to, sipStatus: result.sipStatus, reason: result.reason });
    return 'The transfer did not go through. Tell the person you could not connect them right now, and offer to help yourself or to arrange a call back.';
  } finally {
    record.transferInFlight = null;
    settle();
  }
}

export function createCallTools(host: CallToolHost) {
  const transfer = host.transfer ?? null;
  return {
    ...(transfer && {
      transfer_call: llm.tool({
        description:
          'Transfer the person to a human colleague. Call this only when the person asks to speak to a person, an agent or someone else, with the words they used; tell them briefly that you are connecting them.',
        parameters: calleeWordsParameter,
        execute: ({ calleeWords }, { ctx }) =>
          onCalleeRequest(ctx, calleeWords, () => transferCall(host, transfer, ctx)),
      }),
    }),
    end_call: llm.tool({
      description:
        'Hang up. Call this after saying goodbye, when the conversation is over, with the last words the person said (their goodbye, or the answer that settled the call).',
      parameters: calleeWordsParameter,
      execute: ({ calleeWords }, { ctx }) =>
        onCalleeRequest(ctx, calleeWords, () => {
          host.endCall('end_call');
          return 'The call will end after your last words.';
        }),
    }),
    schedule_callback: llm.tool({
      description:
        "Book a call back at a time the person asks for, in their local time. Pass it as an ISO local date-time such as 2026-03-04T15:30.",
      parameters: z.object({ localDateTime: z.string().describe('ISO 8601 local date-time, e.g. 2026-03-04T15:30') }),
      execute: ({ localDateTime }) => Promise.resolve(scheduleCallback(host, localDateTime)),
    }),
    opt_out: llm.tool({
      description:
        'The person asks not to be called again. Call this with their words, then say a short, polite goodbye.',
      parameters: calleeWordsParameter,
      execute: ({ calleeWords }, { ctx }) =>
        onCalleeRequest(ctx, calleeWords, () => {
          host.record.optOut = true;
          host.endCall('opt_out');
          return 'Their number will not be called again. Apologise briefly and say goodbye.';
        }),
    }),
    record_outcome: llm.tool({
      description: 'Record the result of the conversation, in the required fields, once it is known.',
      // The campaign's own JSON schema is what the model fills in; it is validated again on receipt.
      parameters: (host.outcomeSchema ?? FREE_FORM_OUTCOME) as JSONSchema7,
      execute: (args: Record<string, unknown>) => Promise.resolve(recordOutcome(host, args)),
    }),
  };
}

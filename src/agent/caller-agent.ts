// The two-way agent: the campaign's instructions under a few fixed rules for phone calls, the
// contact's values for the instructions' placeholders in a delimited data block (never pasted
// into the instructions), the call tools, and the greeting as its first words.
import { voice } from '@livekit/agents';
import { contactDataSection } from './contact-data.js';
import type { createCallTools } from './tools.js';

const PHONE_RULES = [
  'You are speaking on a phone call. Keep every reply to one or two short sentences, in plain words, no lists or markup.',
  'When the person asks not to be called again, call opt_out with their words. When they ask to be called at another time, call schedule_callback.',
  'Once the purpose of the call is settled, call record_outcome, say goodbye, then call end_call.',
].join('\n');

export interface CallerAgentOptions {
  /** The campaign's instructions: a template when contactData is given, else already filled in. */
  instructions: string;
  contactData?: Readonly<Record<string, string>> | null;
  greeting: string | null;
  tools: ReturnType<typeof createCallTools>;
}

/** The system prompt: instructions, phone rules, then the contact data block, in that order. */
export function callerInstructions(opts: Pick<CallerAgentOptions, 'instructions' | 'contactData'>): string {
  const parts = [opts.instructions.trim(), PHONE_RULES];
  if (opts.contactData) parts.push(contactDataSection(opts.contactData));
  return parts.join('\n\n');
}

export class CallerAgent extends voice.Agent {
  readonly #greeting: string | null;

  constructor(opts: CallerAgentOptions) {
    super({ instructions: callerInstructions(opts), tools: opts.tools });
    this.#greeting = opts.greeting;
  }

  override onEnter(): Promise<void> {
    // The greeting is said verbatim (it was approved with the campaign); without one the model opens.
    if (this.#greeting) this.session.say(this.#greeting, { allowInterruptions: true });
    else this.session.generateReply();
    return Promise.resolve();
  }
}

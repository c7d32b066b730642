// The two-way agent: the campaign's instructions (variables already filled in by the dialer)
// under a few fixed rules for phone calls, the call tools, and the greeting as its first words.
import { voice } from '@livekit/agents';
import type { createCallTools } from './tools.js';

const PHONE_RULES = [
  'You are speaking on a phone call. Keep every reply to one or two short sentences, in plain words, no lists or markup.',
  'When the person asks not to be called again, call opt_out. When they ask to be called at another time, call schedule_callback.',
  'Once the purpose of the call is settled, call record_outcome, say goodbye, then call end_call.',
].join('\n');

export interface CallerAgentOptions {
  instructions: string;
  greeting: string | null;
  tools: ReturnType<typeof createCallTools>;
}

export class CallerAgent extends voice.Agent {
  readonly #greeting: string | null;

  constructor(opts: CallerAgentOptions) {
    super({ instructions: `${opts.instructions.trim()}\n\n${PHONE_RULES}`, tools: opts.tools });
    this.#greeting = opts.greeting;
  }

  override onEnter(): Promise<void> {
    // The greeting is said verbatim (it was approved with the campaign); without one the model opens.
    if (this.#greeting) this.session.say(this.#greeting, { allowInterruptions: true });
    else this.session.generateReply();
    return Promise.resolve();
  }
}

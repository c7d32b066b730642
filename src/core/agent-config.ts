// Environment the voice agent needs beyond config.ts: provider base URLs (for self-hosted or
// fake providers) and default models and voice. Parsed once by the agent at start, like config.ts.
// Added by the agent work as a separate, additive file so config.ts stays the lead's.
import { z } from 'zod';
import { optionalNonEmpty, parseEnv } from './config.js';

export const agentConfigSchema = z.object({
  DEEPGRAM_BASE_URL: optionalNonEmpty,
  CARTESIA_BASE_URL: optionalNonEmpty,
  OUTDIAL_STT_MODEL: z.string().default('nova-3'),
  OUTDIAL_LLM_MODEL: z.string().default('gpt-4.1-mini'),
  OUTDIAL_TTS_MODEL: z.string().default('sonic-2'),
  /** Cartesia voice id; unset keeps the plugin's default voice. */
  OUTDIAL_TTS_VOICE: optionalNonEmpty,
  OUTDIAL_AGENT_LANGUAGE: z.string().default('en'),
  /** Port of the agent role's /metrics, /healthz and /readyz; unset: PORT, as for every role. */
  OUTDIAL_AGENT_PORT: optionalNonEmpty.pipe(z.coerce.number<string>().int().min(0).max(65535).optional()),
  /**
   * Calls one worker takes at most. Set: the worker reports its load to LiveKit as the share of
   * this number in use, scaled so that it reaches livekit-server's target load (0.7) exactly at
   * it. Unset: the framework's measure, the host's CPU use (full at 70 %), which on a host shared
   * with other work can refuse calls the agent could take.
   */
  OUTDIAL_AGENT_MAX_CALLS: optionalNonEmpty.pipe(z.coerce.number<string>().int().min(1).max(1000).optional()),
  /**
   * Job processes kept started and warm (Silero loaded) for the next calls; unset: the framework's
   * min(CPU count, 4). A call beyond them waits for a cold process start before it is dialled.
   */
  OUTDIAL_AGENT_IDLE_PROCESSES: optionalNonEmpty.pipe(z.coerce.number<string>().int().min(0).max(200).optional()),
  /**
   * How long a job process may take to start (load the code and Silero) before the framework
   * kills it and starts another; unset: the framework's 10 s. On a host short of CPU every start
   * can take longer, and then no process ever becomes ready and calls wait for an agent in vain.
   */
  OUTDIAL_AGENT_PROCESS_START_TIMEOUT_SECONDS: optionalNonEmpty.pipe(z.coerce.number<string>().int().min(1).max(600).optional()),
  /**
   * Two-way calls: how long after the callee stops speaking the agent takes the turn (the
   * framework's endpointing; its defaults). The longer wait applies when the turn detector judges
   * the sentence unfinished. Shorter answers faster and cuts slow talkers off more often; this
   * wait, not the providers, is most of the turn latency (docs/benchmarks.md, bench:calls).
   */
  OUTDIAL_AGENT_MIN_ENDPOINTING_MS: z.coerce.number().int().min(0).max(10_000).default(500),
  OUTDIAL_AGENT_MAX_ENDPOINTING_MS: z.coerce.number().int().min(0).max(30_000).default(3000),
}).refine((c) => c.OUTDIAL_AGENT_MAX_ENDPOINTING_MS >= c.OUTDIAL_AGENT_MIN_ENDPOINTING_MS, {
  message: 'must be at least OUTDIAL_AGENT_MIN_ENDPOINTING_MS',
  path: ['OUTDIAL_AGENT_MAX_ENDPOINTING_MS'],
});

export type AgentConfig = z.infer<typeof agentConfigSchema>;

export function loadAgentConfig(env: Record<string, string | undefined> = process.env): AgentConfig {
  return parseEnv(agentConfigSchema, env, 'agent configuration');
}

// Provider doubles on loopback: Cartesia TTS, Deepgram STT and OpenAI chat completions, each a
// real server speaking its provider's protocol, for the real LiveKit Agents plugins pointed at
// them through their base-URL options. `env` holds the variables outdial's agent reads.
import { startCartesiaDouble, type CartesiaDouble, type CartesiaDoubleOptions } from './cartesia.js';
import { startDeepgramDouble, type DeepgramDouble, type DeepgramDoubleOptions } from './deepgram.js';
import { startOpenAIDouble, type OpenAIDouble, type OpenAIDoubleOptions } from './openai.js';

export { startCartesiaDouble, type CartesiaDouble, type CartesiaDoubleOptions, type SpokenText } from './cartesia.js';
export { startDeepgramDouble, type DeepgramDouble, type DeepgramDoubleOptions, type ListenRecord } from './deepgram.js';
export { listenScriptSpec, scriptFromSpec, type ListenConnection, type ListenScript, type ListenScriptSpec } from './deepgram-script.js';
export { startOpenAIDouble, type ChatRecord, type ChatReplier, type OpenAIDouble, type OpenAIDoubleOptions } from './openai.js';
export { lastToolResultName, lastUserText, offeredTools, systemText, type ChatError, type ChatReply, type ChatRequest } from './openai-chat.js';
export { chatRulesSchema, replyFromRules, type ChatRule } from './openai-rules.js';
export { speak, type SpeechFormat } from './speech.js';

export interface ProviderDoublesOptions {
  cartesia?: CartesiaDoubleOptions;
  deepgram?: DeepgramDoubleOptions;
  openai?: OpenAIDoubleOptions;
}

export interface ProviderEnv {
  CARTESIA_BASE_URL: string;
  DEEPGRAM_BASE_URL: string;
  OPENAI_BASE_URL: string;
  CARTESIA_API_KEY: string;
  DEEPGRAM_API_KEY: string;
  OPENAI_API_KEY: string;
  /** Lets a Node process trust the Cartesia double's TLS (the plugin's synthesize()). */
  NODE_EXTRA_CA_CERTS?: string;
}

export interface ProviderDoubles {
  cartesia: CartesiaDouble;
  deepgram: DeepgramDouble;
  openai: OpenAIDouble;
  env: ProviderEnv;
  stop(): Promise<void>;
}

/** The keys the doubles accept: any non-empty value works, these say where they point. */
export const DOUBLE_API_KEY = 'provider-double';

export async function startProviderDoubles(opts: ProviderDoublesOptions = {}): Promise<ProviderDoubles> {
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    const cartesia = await startCartesiaDouble({ tls: true, ...opts.cartesia });
    started.push(cartesia);
    const deepgram = await startDeepgramDouble(opts.deepgram);
    started.push(deepgram);
    const openai = await startOpenAIDouble(opts.openai);
    started.push(openai);
    const env: ProviderEnv = {
      CARTESIA_BASE_URL: cartesia.baseUrl,
      DEEPGRAM_BASE_URL: deepgram.baseUrl,
      OPENAI_BASE_URL: openai.baseUrl,
      CARTESIA_API_KEY: DOUBLE_API_KEY,
      DEEPGRAM_API_KEY: DOUBLE_API_KEY,
      OPENAI_API_KEY: DOUBLE_API_KEY,
      ...(cartesia.caCertPath ? { NODE_EXTRA_CA_CERTS: cartesia.caCertPath } : {}),
    };
    return { cartesia, deepgram, openai, env, stop: () => stopAll(started) };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

async function stopAll(doubles: Array<{ stop(): Promise<void> }>): Promise<void> {
  await Promise.all(doubles.map((d) => d.stop()));
}

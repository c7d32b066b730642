// The speech and language providers of a session: Deepgram STT, OpenAI LLM, Cartesia TTS and
// Silero VAD. The campaign's voice settings win over the agent's environment defaults; keys and
// base URLs come from the environment only. Missing keys fail here, before the call is answered.
import type { llm, stt, tts, VAD } from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import * as openai from '@livekit/agents-plugin-openai';
import type { AgentConfig } from '../core/agent-config.js';
import { requireConfig, type Config } from '../core/config.js';
import type { DispatchMetadata } from '../core/dispatch-metadata.js';

export interface VoiceProviders {
  stt?: stt.STT;
  llm?: llm.LLM;
  tts: tts.TTS;
  vad?: VAD;
}

export interface ProviderChoice {
  sttModel: string;
  llmModel: string;
  ttsModel: string;
  ttsVoice: string | undefined;
  language: string;
}

/** Campaign settings over environment defaults. Pure. */
export function chooseProviders(voice: DispatchMetadata['voice'], env: AgentConfig): ProviderChoice {
  return {
    sttModel: voice.sttModel ?? env.OUTDIAL_STT_MODEL,
    llmModel: voice.llmModel ?? env.OUTDIAL_LLM_MODEL,
    ttsModel: voice.ttsModel ?? env.OUTDIAL_TTS_MODEL,
    ttsVoice: voice.ttsVoice ?? env.OUTDIAL_TTS_VOICE,
    language: voice.language ?? env.OUTDIAL_AGENT_LANGUAGE,
  };
}

function createTts(choice: ProviderChoice, config: Config, env: AgentConfig): tts.TTS {
  const c = requireConfig(config, ['CARTESIA_API_KEY'], 'speaking to the callee (Cartesia TTS)');
  return new cartesia.TTS({
    apiKey: c.CARTESIA_API_KEY,
    model: choice.ttsModel,
    language: choice.language,
    ...(choice.ttsVoice ? { voice: choice.ttsVoice } : {}),
    ...(env.CARTESIA_BASE_URL ? { baseUrl: env.CARTESIA_BASE_URL } : {}),
  });
}

/** One-way calls only speak: TTS alone. */
export function oneWayProviders(meta: DispatchMetadata, config: Config, env: AgentConfig): VoiceProviders {
  return { tts: createTts(chooseProviders(meta.voice, env), config, env) };
}

/** Two-way calls listen, think and speak; the VAD was loaded once per process (prewarm). */
export function twoWayProviders(meta: DispatchMetadata, config: Config, env: AgentConfig, vad: VAD): VoiceProviders {
  const choice = chooseProviders(meta.voice, env);
  const c = requireConfig(config, ['DEEPGRAM_API_KEY', 'OPENAI_API_KEY'], 'a two-way conversation');
  return {
    stt: new deepgram.STT({
      apiKey: c.DEEPGRAM_API_KEY,
      model: choice.sttModel,
      language: choice.language,
      ...(env.DEEPGRAM_BASE_URL ? { baseUrl: env.DEEPGRAM_BASE_URL } : {}),
    }),
    llm: new openai.LLM({
      apiKey: c.OPENAI_API_KEY,
      model: choice.llmModel,
      ...(config.OPENAI_BASE_URL ? { baseURL: config.OPENAI_BASE_URL } : {}),
    }),
    tts: createTts(choice, config, env),
    vad,
  };
}

// Deepgram's live-transcription server messages (Results, SpeechStarted, UtteranceEnd, Metadata)
// in the shape its API sends them and @livekit/agents-plugin-deepgram 1.8.1 reads them: the
// plugin takes alternatives[0].transcript as the text, words[].start/end as the timing, is_final
// for final vs interim and speech_final (or UtteranceEnd) as the end of the user's speech.

export interface ModelInfo {
  uuid: string;
  name: string;
}

export function modelInfo(model: string): ModelInfo {
  return { uuid: '00000000-0000-4000-8000-00000000d06e', name: model };
}

export interface ResultsInput {
  text: string;
  startS: number;
  endS: number;
  isFinal: boolean;
  speechFinal: boolean;
  fromFinalize: boolean;
  requestId: string;
  model: ModelInfo;
}

/** Words of `text` spread evenly over [startS, endS], lower-cased bare and as written. */
export function words(text: string, startS: number, endS: number) {
  const written = text.split(/\s+/).filter((w) => w !== '');
  const step = written.length ? (endS - startS) / written.length : 0;
  return written.map((w, i) => ({
    word: w.toLowerCase().replace(/[^\p{L}\p{N}']/gu, ''),
    start: startS + i * step,
    end: startS + (i + 1) * step,
    confidence: 0.99,
    punctuated_word: w,
  }));
}

export function resultsMessage(r: ResultsInput) {
  return {
    type: 'Results',
    channel_index: [0, 1],
    duration: Math.max(0, r.endS - r.startS),
    start: r.startS,
    is_final: r.isFinal,
    speech_final: r.speechFinal,
    from_finalize: r.fromFinalize,
    channel: { alternatives: [{ transcript: r.text, confidence: r.text ? 0.99 : 0, words: words(r.text, r.startS, r.endS) }] },
    metadata: { request_id: r.requestId, model_info: { name: r.model.name, version: 'double', arch: r.model.name }, model_uuid: r.model.uuid },
  };
}

export function speechStartedMessage(atS: number) {
  return { type: 'SpeechStarted', channel: [0, 1], timestamp: atS };
}

export function utteranceEndMessage(lastWordEndS: number) {
  return { type: 'UtteranceEnd', channel: [0, 1], last_word_end: lastWordEndS };
}

export function metadataMessage(requestId: string, durationS: number, channels: number, model: ModelInfo, created: Date) {
  return {
    type: 'Metadata',
    transaction_key: 'deprecated',
    request_id: requestId,
    sha256: '',
    created: created.toISOString(),
    duration: durationS,
    channels,
    models: [model.uuid],
    model_info: { [model.uuid]: { name: model.name, version: 'double', arch: model.name } },
  };
}

/** The pre-recorded (POST /v1/listen) answer: one channel, one alternative. */
export function prerecordedResponse(requestId: string, text: string, durationS: number, model: ModelInfo, created: Date) {
  return {
    metadata: { request_id: requestId, created: created.toISOString(), duration: durationS, channels: 1, models: [model.uuid] },
    results: { channels: [{ alternatives: [{ transcript: text, confidence: text ? 0.99 : 0, words: words(text, 0, durationS) }] }] },
  };
}

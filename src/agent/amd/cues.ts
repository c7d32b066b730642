// Transcript cues: phrases that only recorded greetings and carrier messages say. A human may
// say "who is this?" but not "leave a message after the tone", so a cue decides "machine".
// Matching is on normalised words, so punctuation and case from any STT do not matter.

const MACHINE_CUES: readonly string[] = [
  'leave a message',
  'leave your message',
  'leave me a message',
  'leave your name',
  'after the tone',
  'after the beep',
  'at the tone',
  'at the beep',
  'not available',
  'unavailable',
  'mailbox',
  'voicemail',
  'voice mail',
  'record your message',
  'can t take your call',
  'cannot take your call',
  'can t come to the phone',
  'cannot come to the phone',
  'get back to you',
  'return your call',
  'you have reached',
  'you ve reached',
  'the person you are calling',
  'the number you have dialed',
  'the number you have dialled',
  'is not in service',
  'press pound',
  'when you have finished recording',
];

/** Lower-case words separated by single spaces; apostrophes become spaces ("can't" → "can t"). */
export function normaliseTranscript(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The first machine cue the transcript contains, or null. */
export function findMachineCue(text: string): string | null {
  const padded = ` ${normaliseTranscript(text)} `;
  return MACHINE_CUES.find((cue) => padded.includes(` ${cue} `)) ?? null;
}

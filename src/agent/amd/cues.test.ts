import { describe, expect, it } from 'vitest';
import { findMachineCue, normaliseTranscript } from './cues.js';

describe('transcript cues', () => {
  it.each([
    ["Hi, you've reached Sam. Please leave a message after the tone.", 'leave a message'],
    ['The person you are calling is NOT AVAILABLE', 'not available'],
    ['Your call has been forwarded to an automatic voice message system', null],
    ['the mailbox is full', 'mailbox'],
    ["I can't take your call right now", 'can t take your call'],
  ])('finds the machine cue in %j', (text, cue) => {
    expect(findMachineCue(text)).toBe(cue);
  });

  it.each(['Hello?', 'Yeah, who is this?', 'Hi, this is Sam speaking.', 'Can you hear me?', 'I left a message yesterday'])(
    'finds no cue in what a person says on answering: %j',
    (text) => {
      expect(findMachineCue(text)).toBeNull();
    },
  );

  it('matches whole words only', () => {
    expect(findMachineCue('the voicemailing list')).toBeNull();
    expect(normaliseTranscript("  Can't   STOP!  ")).toBe('can t stop');
  });
});

// What the synthetic AMD corpus says: the phrases people answer with and the greetings
// machines play. Kept apart from the generator so the wording can grow without touching it.

export const NAMES = ['Sam', 'Dana', 'Chris', 'Alex', 'Maria', 'Jordan', 'Priya', 'Tom', 'Grace', 'Luis'];

/** A person's first words on picking up. */
export const HUMAN_FIRST = [
  'Hello?',
  'Hello.',
  'Hi.',
  'Yeah?',
  'Yes?',
  'Hello, who is this?',
  'Yeah, who is this?',
  'Hi, this is {name} speaking.',
  'Hello, this is {name}.',
  'Good morning.',
  'Hey, what is up?',
  'Speaking.',
  'Hi there.',
  '{name} here.',
  'Hello, can I help you?',
];

/** What a person says next when nobody answers them. */
export const HUMAN_SECOND = ['Hello?', 'Hello? Anyone there?', 'Who is this?', 'Can you hear me?', 'Hello, is anyone there?'];

/** Personal greetings, one sentence each; a greeting is an opening plus some of the rest. */
export const PERSONAL_OPENINGS = [
  "Hi, you've reached {name}.",
  'Hey, this is {name}.',
  "Hello, you've reached the voicemail of {name}.",
  "Hi, it's {name}.",
  'Hello, this is {name} and {name2}.',
  "You've reached {name}'s phone.",
];
export const PERSONAL_MIDDLES = [
  "I can't take your call right now.",
  "Sorry I missed you, I'm either on the other line or away from my phone.",
  "We're not available at the moment.",
  "I'm out of the office until Monday.",
  'Thanks for calling.',
  "I'm probably driving, or at the gym.",
  'If this is urgent, please call my office instead.',
];
export const PERSONAL_CLOSINGS = [
  'Please leave a message after the tone.',
  "Leave your name and number and I'll get back to you as soon as I can.",
  'Leave a message and I will call you back.',
  'Talk to you soon.',
  'Have a great day.',
  'Bye.',
];

/** Carrier greetings, whole. */
export const CARRIER_GREETINGS = [
  [
    'The person you are trying to reach is not available.',
    'At the tone, please record your message.',
    'When you have finished recording, you may hang up, or press one for more options.',
  ],
  ['The wireless customer you are calling is not available.', 'Please leave a message after the tone.'],
  [
    'Your call has been forwarded to an automatic voice message system.',
    '{digits} is not available.',
    'At the tone, please record your message.',
    'When you are finished, you may hang up.',
  ],
  ['The subscriber you have dialed is not available right now.', 'Please try again later, or leave a message after the beep.'],
  ['Please leave your message for', '{digits}.'],
];

export const VOICES = ['en-us', 'en-gb', 'en-us+f3', 'en-gb+f2', 'en-gb-scotland', 'en-029', 'en-us+m3', 'en-gb-x-rp+f4'];

export const BEEP_HZ = [400, 440, 500, 620, 800, 850, 1000, 1200, 1400, 1600, 1800, 2000];
export const BEEP_MS = [150, 200, 300, 500, 800, 1000];

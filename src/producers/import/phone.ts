// Phone numbers to E.164 with libphonenumber-js's full metadata (the same validity rules as
// Google's libphonenumber): any common format is accepted, the campaign's default region
// applies to national numbers, and anything that is not a dialable number is refused with a
// reason a campaign manager can act on.
import { parsePhoneNumberFromString, validatePhoneNumberLength, type CountryCode } from 'libphonenumber-js/max';

export type PhoneResult =
  | { ok: true; e164: string; callingCode: string }
  | { ok: false; reason: string };

/** Longest input worth parsing: formatted E.164 with an extension fits easily. */
const MAX_PHONE_CHARS = 64;

const lengthReasons: Record<string, string> = {
  TOO_SHORT: 'phone number is too short',
  TOO_LONG: 'phone number is too long',
  INVALID_LENGTH: 'phone number has an invalid length',
  INVALID_COUNTRY: 'phone number has no valid country code',
  NOT_A_NUMBER: 'phone is not a phone number',
};

export function normalisePhone(raw: string, defaultRegion: string): PhoneResult {
  const text = raw.trim();
  if (text === '') return { ok: false, reason: 'phone is empty' };
  if (text.length > MAX_PHONE_CHARS) return { ok: false, reason: 'phone is not a phone number' };
  const region = defaultRegion as CountryCode;
  const parsed = parsePhoneNumberFromString(text, { defaultCountry: region, extract: false });
  if (parsed?.isValid()) {
    // A dialler reaches the line, not the extension: dropping it silently would call the wrong person.
    if (parsed.ext) return { ok: false, reason: 'phone has an extension, which cannot be dialled' };
    return { ok: true, e164: parsed.number, callingCode: parsed.countryCallingCode };
  }
  return { ok: false, reason: invalidReason(text, region) };
}

/** Only for rejected numbers (about 1 % of a typical file), so its second parse costs little. */
function invalidReason(text: string, region: CountryCode): string {
  const lengthProblem = validatePhoneNumberLength(text, { defaultCountry: region });
  if (lengthProblem) return lengthReasons[lengthProblem] ?? 'phone number is not valid';
  return `phone number is not valid (default region ${region})`;
}

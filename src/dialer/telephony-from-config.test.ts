import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../core/config.js';
import { createDb } from '../core/db/client.js';
import { createLogger } from '../core/logger.js';
import { telephonyFromConfig } from './telephony-from-config.js';

// Never connected: building an adapter touches no database.
const { db } = createDb('postgres://nobody@127.0.0.1:1/none');
const deps = { db, log: createLogger({ level: 'silent' }) };
afterAll(async () => {
  await db.destroy();
});

const livekit = {
  OUTDIAL_TELEPHONY: 'livekit',
  LIVEKIT_URL: 'http://127.0.0.1:7880',
  LIVEKIT_API_KEY: 'devkey',
  LIVEKIT_API_SECRET: 'secret',
};

describe('telephonyFromConfig', () => {
  it('builds the Sim by default', () => {
    expect(telephonyFromConfig(loadConfig({}), deps).kind).toBe('sim');
  });

  it('builds the LiveKit adapter from a trunk id or a trunk address with numbers', () => {
    expect(telephonyFromConfig(loadConfig({ ...livekit, OUTDIAL_SIP_TRUNK_ID: 'ST_1' }), deps).kind).toBe(
      'livekit',
    );
    const created = loadConfig({
      ...livekit,
      OUTDIAL_SIP_TRUNK_ADDRESS: 'sip.example.test',
      OUTDIAL_SIP_TRUNK_NUMBERS: '+12025550100, +12025550101',
    });
    expect(telephonyFromConfig(created, deps).kind).toBe('livekit');
  });

  it('names the missing variables when LiveKit is chosen without them', () => {
    expect(() => telephonyFromConfig(loadConfig({ OUTDIAL_TELEPHONY: 'livekit' }), deps)).toThrow(
      /LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET/,
    );
    const noTrunk = () => telephonyFromConfig(loadConfig(livekit), deps);
    expect(noTrunk).toThrow(ConfigError);
    expect(noTrunk).toThrow(
      /OUTDIAL_SIP_TRUNK_ID, or OUTDIAL_SIP_TRUNK_ADDRESS and OUTDIAL_SIP_TRUNK_NUMBERS/,
    );
  });
});

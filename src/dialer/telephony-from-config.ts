// Builds the adapter OUTDIAL_TELEPHONY names, from the parsed Config. `livekit` needs LIVEKIT_URL,
// LIVEKIT_API_KEY, LIVEKIT_API_SECRET and either OUTDIAL_SIP_TRUNK_ID or the trunk's address and
// numbers; a missing one stops start-up with a ConfigError naming it.
import type { Kysely } from 'kysely';
import { ConfigError, requireConfig, type Config } from '../core/config.js';
import type { Database } from '../core/db/schema.js';
import type { Logger } from '../core/logger.js';
import { LiveKitTelephony } from './livekit/livekit-telephony.js';
import type { TrunkSource } from './livekit/trunk.js';
import { postgresTrunkStore } from './livekit/trunk-store.js';
import { SimTelephony, type SimTelephonyOptions } from './sim/sim-telephony.js';
import type { Telephony } from './telephony.js';

function trunkSource(config: Config): TrunkSource {
  if (config.OUTDIAL_SIP_TRUNK_ID !== undefined) return { id: config.OUTDIAL_SIP_TRUNK_ID };
  if (config.OUTDIAL_SIP_TRUNK_ADDRESS === undefined || config.OUTDIAL_SIP_TRUNK_NUMBERS === undefined) {
    throw new ConfigError(
      'OUTDIAL_TELEPHONY=livekit needs OUTDIAL_SIP_TRUNK_ID, or OUTDIAL_SIP_TRUNK_ADDRESS and OUTDIAL_SIP_TRUNK_NUMBERS',
    );
  }
  return {
    create: {
      name: 'outdial',
      address: config.OUTDIAL_SIP_TRUNK_ADDRESS,
      numbers: config.OUTDIAL_SIP_TRUNK_NUMBERS.split(',')
        .map((n) => n.trim())
        .filter((n) => n !== ''),
      transport: config.OUTDIAL_SIP_TRUNK_TRANSPORT,
      username: config.OUTDIAL_SIP_TRUNK_USERNAME,
      password: config.OUTDIAL_SIP_TRUNK_PASSWORD,
    },
  };
}

export function telephonyFromConfig(
  config: Config,
  deps: { db: Kysely<Database>; log: Logger },
  sim: Partial<Omit<SimTelephonyOptions, 'log'>> = {},
): Telephony {
  if (config.OUTDIAL_TELEPHONY === 'sim') return new SimTelephony({ seed: 1, ...sim, log: deps.log });
  const lk = requireConfig(
    config,
    ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET'],
    'OUTDIAL_TELEPHONY=livekit',
  );
  const s3Configured = config.S3_ENDPOINT !== undefined || config.S3_ACCESS_KEY !== undefined;
  return new LiveKitTelephony({
    url: lk.LIVEKIT_URL,
    apiKey: lk.LIVEKIT_API_KEY,
    apiSecret: lk.LIVEKIT_API_SECRET,
    trunk: trunkSource(config),
    trunkStore: postgresTrunkStore(deps.db),
    agentJoinTimeoutMs: config.OUTDIAL_AGENT_JOIN_TIMEOUT_SECONDS * 1000,
    s3: s3Configured
      ? {
          bucket: config.S3_BUCKET,
          region: config.S3_REGION,
          endpoint: config.S3_ENDPOINT,
          accessKey: config.S3_ACCESS_KEY,
          secret: config.S3_SECRET_KEY,
        }
      : undefined,
    log: deps.log,
  });
}

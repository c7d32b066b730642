// The real stack for a test file, on a Redis of its own. livekit-server and livekit-sip find each
// other through Redis (psrpc over pub/sub, whose channels ignore the database number), and every
// livekit-server on one Redis joins one cluster: a second stack on the machine's shared Redis (a
// developer's `npm run livekit:up`, the demo on LiveKit, another test run) would take some of our
// rooms, SIP calls and agent jobs, and we some of its. A private redis-server rules that out.
import { startLiveKitStack, type LiveKitStack, type LiveKitStackOptions } from '../../../scripts/livekit-stack/stack.js';
import { startPrivateRedis } from '../../chaos/services.js';

export async function startPrivateLiveKitStack(opts: Omit<LiveKitStackOptions, 'redisAddress' | 'redisDb'> = {}): Promise<LiveKitStack> {
  const redis = await startPrivateRedis();
  try {
    const stack = await startLiveKitStack({ ...opts, redisAddress: `127.0.0.1:${redis.port}`, redisDb: 0 });
    return {
      ...stack,
      stop: async () => {
        await stack.stop();
        await redis.stop();
      },
    };
  } catch (err) {
    await redis.stop();
    throw err;
  }
}

// `npm run test:livekit`: real calls through livekit-server, livekit-sip and sipp phones
// (scripts/livekit-stack/). Kept out of `npm test`: it needs the built stack and takes a while.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/livekit/**/*.test.ts'],
    testTimeout: 60_000,
    // The first start may build the stack from source (minutes); later starts take seconds.
    hookTimeout: 15 * 60_000,
    pool: 'forks',
    // One stack at a time: livekit-sip's RPCs travel over Redis pub/sub, which every database shares.
    fileParallelism: false,
  },
});

// bench:admission's scheduler, in its own process as `outdial scheduler` runs in production, so
// that admission does not share an event loop with the dial workers, the completion stub and
// the bench's bookkeeping. Configured by the environment like the role; tells the parent
// {ready: true} once started and exits after closing on SIGTERM.
import { loadConfig } from '../src/core/config.js';
import { createLogger } from '../src/core/logger.js';
import { createRuntime } from '../src/core/runtime.js';
import { startScheduler } from '../src/schedulers/main.js';

const config = loadConfig(process.env);
const rt = createRuntime(config, { log: createLogger({ level: 'silent' }), poolMax: 10 });
const scheduler = await startScheduler(rt);
process.send?.({ ready: true });
process.once('SIGTERM', () => {
  void (async () => {
    await scheduler.close();
    await rt.close();
    process.exit(0);
  })();
});

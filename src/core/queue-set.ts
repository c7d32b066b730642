// Every queue named in queues.ts as a Queue handle, for views over all of them (Bull Board, the
// BullMQ gauges on /metrics). Reuses the runtime's own queues and adds the ones the runtime does
// not hold, once per runtime, over its shared Redis connection (so closing the runtime frees them).
import type { Queue } from 'bullmq';
import { createQueue, queueNames, type QueueName } from './queues.js';
import type { Runtime } from './runtime.js';

const extras = new WeakMap<Runtime, Map<QueueName, Queue>>();

export function allQueues(rt: Runtime): Queue[] {
  const own = new Map<string, Queue>();
  for (const q of Object.values(rt.queues) as Queue[]) own.set(q.name, q);
  let made = extras.get(rt);
  if (!made) extras.set(rt, (made = new Map<QueueName, Queue>()));
  return Object.values(queueNames).map((name) => {
    const existing = own.get(name) ?? made.get(name);
    if (existing) return existing;
    const q = createQueue<unknown>(name, rt.redis, rt.prefix) as Queue;
    q.on('error', (err: Error) => rt.log.warn({ err: err.message, queue: name }, 'queue.error'));
    made.set(name, q);
    return q;
  });
}

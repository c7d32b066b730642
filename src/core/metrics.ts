// Prometheus registry factory. Each process builds one registry and passes it to the roles it
// runs; metric names carry the contract prefix `outdial_` and labels stay bounded (no per-contact
// or per-batch values).
import { Registry, collectDefaultMetrics } from 'prom-client';

export function createRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'outdial_' });
  return registry;
}

/** Returns the metric registered under `name`, creating it with `make` the first time (roles in one process share it). */
export function metricOnce<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

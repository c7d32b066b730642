// What every route module receives: the runtime (db, queues, config, log) and the OpenAPI
// registry it describes its paths into, and the failed-authentication limiter.
import type { Resolver } from '../../core/destination.js';
import type { Runtime } from '../../core/runtime.js';
import type { AuthFailureLimiter } from '../http/auth-failures.js';
import type { OpenAPIRegistry } from '../openapi.js';

export interface RouteDeps {
  rt: Runtime;
  registry: OpenAPIRegistry;
  /** Failed authentications per client address, shared by every credential check. */
  authFailures: AuthFailureLimiter;
  now?: () => Date;
  /** DNS for the webhook SSRF guard; default the system resolver (tests inject one). */
  resolve?: Resolver;
}

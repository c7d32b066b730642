// An API under test: createApp over a private runtime (database + Redis prefix), with the log
// captured in memory so tests can assert what was (and was not) logged.
import type { Express } from 'express';
import supertest from 'supertest';
import { createLogger } from '../../src/core/logger.js';
import { createApp, type ApiOptions } from '../../src/producers/app.js';
import { publicTestResolver } from './dns.js';
import { createTestRuntime, TEST_ADMIN_TOKEN, type TestRuntime } from './runtime.js';

export const ADMIN_TOKEN = TEST_ADMIN_TOKEN;

export interface ApiHarness {
  rt: TestRuntime;
  app: Express;
  http: ReturnType<typeof supertest>;
  /** Every log line written by the app, raw JSON text. */
  logs: string[];
  createOrg(name?: string, maxConcurrency?: number): Promise<{ id: string; apiKey: string; auth: string }>;
  teardown(): Promise<void>;
}

export async function createApiHarness(
  label: string,
  opts: ApiOptions = {},
  env: Record<string, string> = {},
): Promise<ApiHarness> {
  const rt = await createTestRuntime(label, env);
  const logs: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void logs.push(line) },
  });
  const app = createApp({ ...rt, log }, { resolve: publicTestResolver, ...opts });
  // One listening server for the whole file: supertest(app) would open a new one per request.
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const http = supertest(server);
  return {
    rt,
    app,
    http,
    logs,
    async createOrg(name = 'Org', maxConcurrency = 10) {
      const res = await http
        .post('/v1/orgs')
        .set('authorization', `Bearer ${ADMIN_TOKEN}`)
        .send({ name, maxConcurrency })
        .expect(201);
      const body = res.body as { id: string; apiKey: string };
      return { ...body, auth: `Bearer ${body.apiKey}` };
    },
    async teardown() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rt.teardown();
    },
  };
}

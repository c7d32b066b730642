// The client commands' own environment (they run on an operator's machine, not beside the
// roles, so they need none of the server's variables): where the API is and which key to use.
import { z } from 'zod';
import { optionalNonEmpty, parseEnv } from '../../core/config.js';

export const clientConfigSchema = z.object({
  OUTDIAL_API_URL: z.string().url().default('http://127.0.0.1:3000'),
  OUTDIAL_API_KEY: optionalNonEmpty,
  OUTDIAL_ADMIN_TOKEN: optionalNonEmpty,
});
export type ClientConfig = z.infer<typeof clientConfigSchema>;

export function loadClientConfig(env: Record<string, string | undefined> = process.env): ClientConfig {
  return parseEnv(clientConfigSchema, env);
}

// What the callee "says", per STT connection: the utterances the Deepgram double hands out, one
// per utterance it hears, in order. A test passes a list (every connection gets it), a function
// of the connection (its order and the query the plugin sent: model, language, keyterm, ...),
// or, across processes, the JSON form below (PUT /_double/script on the double).
import { z } from 'zod';

export interface ListenConnection {
  /** 0 for the first connection the double accepted, then 1, 2, ... */
  index: number;
  query: Readonly<Record<string, readonly string[]>>;
}

export type ListenScript = readonly string[] | ((conn: ListenConnection) => readonly string[]);

export const listenScriptSpec = z.object({
  /** Connection i gets sequence[i] when it exists. */
  sequence: z.array(z.array(z.string())).optional(),
  /** Else the first rule whose every query parameter matches (any of its values). */
  rules: z.array(z.object({ match: z.record(z.string(), z.string()), utterances: z.array(z.string()) })).optional(),
  default: z.array(z.string()).optional(),
});
export type ListenScriptSpec = z.infer<typeof listenScriptSpec>;

export function scriptFromSpec(spec: ListenScriptSpec): ListenScript {
  return (conn) => {
    const byOrder = spec.sequence?.[conn.index];
    if (byOrder) return byOrder;
    const rule = spec.rules?.find((r) => Object.entries(r.match).every(([k, v]) => conn.query[k]?.includes(v)));
    return rule?.utterances ?? spec.default ?? [];
  };
}

export function utterancesFor(script: ListenScript, conn: ListenConnection): readonly string[] {
  return typeof script === 'function' ? script(conn) : script;
}

export function queryOf(url: URL): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) (out[k] ??= []).push(v);
  return out;
}

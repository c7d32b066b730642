// Declarative replies for the LLM double, for a double running in another process (serve.ts,
// PUT /_double/rules): the first rule whose every condition holds answers. In-process tests can
// pass a plain function instead (see openai.ts).
import { z } from 'zod';
import {
  chatErrorSchema,
  chatReplySchema,
  lastToolResultName,
  lastUserText,
  offeredTools,
  systemText,
  type ChatError,
  type ChatReply,
  type ChatRequest,
} from './openai-chat.js';

export const chatRuleSchema = z.object({
  when: z
    .object({
      /** Case-insensitive substring of the last user message. */
      lastUserIncludes: z.string().optional(),
      /** Case-insensitive substring of the system/developer instructions. */
      systemIncludes: z.string().optional(),
      /** The last message is the result of this tool. */
      afterTool: z.string().optional(),
      /** This tool is offered in the request. */
      toolOffered: z.string().optional(),
      /** The request asks for structured output (response_format json_schema / json_object). */
      structured: z.boolean().optional(),
    })
    .default({}),
  reply: z.union([chatErrorSchema, chatReplySchema]),
});
export type ChatRule = z.infer<typeof chatRuleSchema>;
export const chatRulesSchema = z.array(chatRuleSchema);

const includes = (haystack: string, needle: string) => haystack.toLowerCase().includes(needle.toLowerCase());

export function ruleMatches(rule: ChatRule, req: ChatRequest): boolean {
  const w = rule.when;
  const structured = req.response_format != null && req.response_format.type !== 'text';
  return (
    (w.lastUserIncludes === undefined || includes(lastUserText(req), w.lastUserIncludes)) &&
    (w.systemIncludes === undefined || includes(systemText(req), w.systemIncludes)) &&
    (w.afterTool === undefined || lastToolResultName(req) === w.afterTool) &&
    (w.toolOffered === undefined || offeredTools(req).includes(w.toolOffered)) &&
    (w.structured === undefined || w.structured === structured)
  );
}

export const DEFAULT_REPLY: ChatReply = { text: 'Thank you.' };

export function replyFromRules(rules: readonly ChatRule[], fallback: ChatReply = DEFAULT_REPLY): (req: ChatRequest) => ChatReply | ChatError {
  return (req) => rules.find((r) => ruleMatches(r, req))?.reply ?? fallback;
}

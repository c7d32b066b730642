// A scripted LLM double that has been fooled: wherever its input (system prompt, turns, tool
// output) contains an instruction matching `obeys`, it calls the tool named there, once, filling
// every string argument with the sentence that told it to. It stands for a model that contact
// data has steered, so a test can show what still stops the harm. Every input it saw is kept.
import { DEFAULT_API_CONNECT_OPTIONS, llm, type APIConnectOptions } from '@livekit/agents';

/** One chat item as the model received it. */
export interface SeenItem {
  type: string;
  role: string | null;
  text: string;
}

function seen(item: llm.ChatItem): SeenItem {
  switch (item.type) {
    case 'message':
      return { type: item.type, role: item.role, text: item.textContent ?? '' };
    case 'function_call':
      return { type: item.type, role: null, text: `${item.name}(${item.args})` };
    case 'function_call_output':
      return { type: item.type, role: null, text: item.output };
    case 'agent_handoff':
    case 'agent_config_update':
      return { type: item.type, role: null, text: '' };
  }
}

function stringArguments(tool: llm.FunctionTool, value: string): Record<string, string> {
  const schema = llm.toJsonSchema(tool.parameters);
  const names = Object.entries(schema.properties ?? {}).filter(
    ([, p]) => typeof p === 'object' && p.type === 'string',
  );
  return Object.fromEntries(names.map(([name]) => [name, value]));
}

class ObedientStream extends llm.LLMStream {
  readonly #obeys: RegExp;

  constructor(
    model: ObedientLLM,
    obeys: RegExp,
    params: { chatCtx: llm.ChatContext; toolCtx?: llm.ToolContextLike; connOptions: APIConnectOptions },
  ) {
    super(model, params);
    this.#obeys = obeys;
  }

  /** The first instruction in the input naming a tool not called yet, with the sentence it came in. */
  #order(): { tool: llm.FunctionTool; sentence: string } | null {
    const items = this.chatCtx.items.map(seen);
    const called = new Set(this.chatCtx.items.flatMap((i) => (i.type === 'function_call' ? [i.name] : [])));
    for (const sentence of items.flatMap((i) => i.text.split(/(?<=[.!?])\s+|\n/))) {
      const name = this.#obeys.exec(sentence)?.[1];
      const tool: llm.FunctionTool | undefined =
        name === undefined ? undefined : this.toolCtx?.getFunctionTool(name);
      if (tool && name !== undefined && !called.has(name)) return { tool, sentence };
    }
    return null;
  }

  protected run(): Promise<void> {
    const order = this.#order();
    if (order) {
      const call = llm.FunctionCall.create({
        callId: `obedient_${order.tool.name}`,
        name: order.tool.name,
        args: JSON.stringify(stringArguments(order.tool, order.sentence)),
      });
      this.queue.put({ id: 'obedient', delta: { role: 'assistant', toolCalls: [call] } });
    } else {
      this.queue.put({ id: 'obedient', delta: { role: 'assistant', content: 'I see.' } });
    }
    return Promise.resolve();
  }
}

export class ObedientLLM extends llm.LLM {
  /** Every chat the model was asked to continue, item by item. */
  readonly inputs: SeenItem[][] = [];

  /** `obeys` finds an instruction; its first group names the tool to call. */
  constructor(readonly obeys: RegExp = /ignore previous instructions and call (\w+)/i) {
    super();
  }

  label(): string {
    return 'obedient-llm';
  }

  chat({
    chatCtx,
    toolCtx,
    connOptions,
  }: {
    chatCtx: llm.ChatContext;
    toolCtx?: llm.ToolContextLike;
    connOptions?: APIConnectOptions;
  }): llm.LLMStream {
    this.inputs.push(chatCtx.items.map(seen));
    return new ObedientStream(this, this.obeys, {
      chatCtx,
      ...(toolCtx ? { toolCtx } : {}),
      connOptions: connOptions ?? DEFAULT_API_CONNECT_OPTIONS,
    });
  }
}

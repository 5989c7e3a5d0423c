// The slice of the Messages API the agents use, as plain data. Our own shapes, so the pure
// modules (loop policy, usage, verification) never load the SDK.

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export type ReplyBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

export interface ModelReply {
  model: string;
  content: ReplyBlock[];
  stop_reason: string | null;
  usage: Usage;
}

export interface CacheControl {
  type: 'ephemeral';
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string;
  is_error?: boolean;
  cache_control?: CacheControl;
}

/** A user's text block, as the request carries the first message when it marks it for caching. */
export interface UserTextBlock {
  type: 'text';
  text: string;
  cache_control?: CacheControl;
}

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string | Array<ReplyBlock | ToolResultBlock | UserTextBlock>;
}

export interface ToolDefinition {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  cache_control?: CacheControl;
}

export interface ModelRequest {
  model: string;
  max_tokens: number;
  system: Array<{ type: 'text'; text: string; cache_control?: CacheControl }>;
  tools: ToolDefinition[];
  messages: ChatMessage[];
}

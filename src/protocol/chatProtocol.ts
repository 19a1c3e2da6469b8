// zod/mini: the same validation as full zod at a few KB, because this module is in the activation bundle.
import * as z from 'zod/mini';

/** Messages between the extension host and the chat webview. The host validates what the webview sends (zod). */
export const EndpointSummary = z.object({
  id: z.string(),
  label: z.string(),
  status: z.enum(['starting', 'ready', 'failed', 'stopped']),
  simulated: z.boolean(),
  detail: z.optional(z.string()),
});
export type EndpointSummary = z.infer<typeof EndpointSummary>;

export type HostToChat = { type: 'state'; endpoints: EndpointSummary[] };

export const ChatToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('rendered'), endpointCount: z.int().check(z.minimum(0)) }),
  z.object({ type: z.literal('launchServer') }),
]);
export type ChatToHost = z.infer<typeof ChatToHost>;

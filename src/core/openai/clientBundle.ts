// Entry point of dist/openaiClient.js, the chat's HTTP client bundle (node:http, the SSE reader, the model list) the
// extension loads on first use; it names what that bundle offers, so the activation bundle stays small.
export { streamChat, OpenAIError } from './chatStream';
export { listModels } from './models';
export { fetchImageDataUrl } from './imageFetch';
export { SseByteReader, SseParser } from './sseParser';

// Entry point of dist/openaiClient.js, the HTTP client bundle (undici) the extension loads on first use; it names what
// that bundle offers, so the activation bundle never pulls undici in.
export { streamChat, OpenAIError } from './chatStream';
export { listModels } from './models';
export { fetchImageDataUrl } from './imageFetch';
export { SseByteReader, SseParser } from './sseParser';

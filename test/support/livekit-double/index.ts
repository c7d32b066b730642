// LiveKit protocol double: see server.ts for the API, dial-table.ts for how calls are answered.
export { startLiveKitDouble } from './server.js';
export type { LiveKitDouble, LiveKitDoubleOptions, RecordedRequest, Hold } from './server.js';
export { dialTable, dialNumber, type DialAnswer } from './dial-table.js';
export { transferTable, type TransferAnswer } from './transfer-table.js';
export type { MethodKey } from './auth.js';
export { twirpHttpStatus, type TwirpCode, type TwirpErrorBody } from './twirp.js';
export { signWebhook, type WebhookEventJson, type SignedWebhook } from './webhook.js';
export type { DoubleState } from './state.js';

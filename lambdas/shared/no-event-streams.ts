/**
 * Stands in for `@smithy/core/event-streams` in every bundle (an esbuild alias: see `handlerBundling`). The SDK's HTTP
 * protocols import it only for operations that stream events (Kinesis, Bedrock, Transcribe...), none of which this
 * service calls, and it was 20 KB of every bundle. Reaching it is a bug: it says so.
 */
const notBundled = (): never => {
  throw new Error(
    'event streams are not bundled with tiktok-shop-auth: the SDK asked for them for an operation that streams events',
  );
};

export class EventStreamSerde {
  constructor() {
    notBundled();
  }
}

export const eventStreamSerdeProvider = notBundled;

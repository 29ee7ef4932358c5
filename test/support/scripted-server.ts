import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** The path and query as sent, still percent-encoded (what a signature covers). */
  readonly rawUrl: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface ScriptedReply {
  readonly status?: number;
  /** Sent besides `content-type: application/json`, e.g. `retry-after`. */
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  /** Sent as is instead of JSON. */
  readonly raw?: string;
  /** Wait this long before answering. */
  readonly delayMs?: number;
  /** Close the connection without answering. */
  readonly hangUp?: boolean;
}

/**
 * A real HTTP server on loopback that plays a remote service: each request is recorded and answered by the next
 * scripted reply (or by `fallback` once the script is used up).
 */
export class ScriptedServer {
  readonly requests: RecordedRequest[] = [];
  private script: Array<ScriptedReply | ((request: RecordedRequest) => ScriptedReply)> = [];
  private server?: Server;
  url = '';

  constructor(private readonly fallback: ScriptedReply = { status: 500, body: { error: 'no reply scripted' } }) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const request = {
          method: req.method ?? 'GET',
          rawUrl: req.url ?? '/',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(request);
        const next = this.script.shift() ?? this.fallback;
        const reply = typeof next === 'function' ? next(request) : next;
        setTimeout(() => {
          if (reply.hangUp) {
            req.socket.destroy();
            return;
          }
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          res.end(reply.raw ?? (reply.status === 204 ? '' : JSON.stringify(reply.body ?? {})));
        }, reply.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reply(...replies: Array<ScriptedReply | ((request: RecordedRequest) => ScriptedReply)>): void {
    this.script.push(...replies);
  }

  reset(): void {
    this.script = [];
    this.requests.length = 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

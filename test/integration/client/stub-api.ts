import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  readonly method: string;
  /** The path and query as sent, still percent-encoded (what a signature covers). */
  readonly rawUrl: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface StubReply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  /** Sent as is instead of JSON. */
  readonly raw?: string;
  readonly delayMs?: number;
  /** Close the connection without answering. */
  readonly hangUp?: boolean;
}

/**
 * The internal API played by a script on loopback, for what local mode will not do on demand: answer 503 with a
 * chosen `retry-after`, drop a connection, answer late or wrongly, and show the raw request to a signature check.
 * (test/support's ScriptedServer answers without headers of its choosing.)
 */
export class StubApi {
  readonly requests: StubRequest[] = [];
  private script: Array<StubReply | ((request: StubRequest) => StubReply)> = [];
  private server?: Server;
  url = '';

  constructor(
    private readonly fallback: StubReply = {
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'no reply scripted' } },
    },
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: StubRequest = {
          method: req.method ?? 'GET',
          rawUrl: req.url ?? '/',
          path: new URL(req.url ?? '/', 'http://127.0.0.1').pathname,
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

  reply(...replies: Array<StubReply | ((request: StubRequest) => StubReply)>): void {
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

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGrantTable } from '../lambdas/adapters/dynamodb/create-table';
import { RecordingEventPublisher } from '../lambdas/adapters/events/recording-event-publisher';
import { type LocalDynamoDb, startDynalite } from './embedded-dynamodb';

export interface LocalServiceOptions {
  /** @default 3000; 0 picks a free port */
  readonly port?: number;
  readonly tableName?: string;
}

export interface LocalService {
  readonly url: string;
  readonly dynamo: LocalDynamoDb;
  readonly events: RecordingEventPublisher;
  stop(): Promise<void>;
}

/** The whole service on one machine, on loopback only: embedded DynamoDB, the event recorder, the routes. */
export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const tableName = options.tableName ?? 'tiktok-shop-auth';
  const dynamo = await startDynalite();
  await createGrantTable(dynamo.client, tableName);
  const events = new RecordingEventPublisher();

  const server: Server = createServer((request, response) => {
    route(request, response, { events }).catch(() => {
      if (!response.headersSent) sendJson(response, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    dynamo,
    events,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynamo.stop();
    },
  };
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  deps: { events: RecordingEventPublisher },
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
  if (request.method === 'GET' && path === '/_local/events') return sendJson(response, 200, deps.events.list());
  if (request.method === 'GET' && path === '/_local/health') return sendJson(response, 200, { status: 'ok' });
  sendJson(response, 404, { error: { code: 'NOT_FOUND', message: `no route for ${request.method} ${path}` } });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

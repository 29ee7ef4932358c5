import { createServer, type Server } from 'node:http';
import * as z from 'zod';
import { matchPath } from '../../../lambdas/shared/routes';
import { toApiGatewayEvent, writeResult } from '../../../local/gateway';
import type { TikTokSandbox } from '../../../local/sandbox/tiktok-sandbox';
import { readBody } from './iam-proxy';
import type { RouteSpec } from './synthesized-stack';

/** What a function behind an HTTP API route answers (payload format 2.0). */
const httpResult = z.object({
  statusCode: z.number().int().optional(),
  headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  cookies: z.array(z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no port');
  return `http://127.0.0.1:${address.port}`;
}

function closer(server: Server): () => Promise<void> {
  return () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
}

export interface Served {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The HTTP API as the template builds it: each route key to the function its integration names, with API Gateway's
 * payload format 2.0 events. IAM authorization of the internal routes is API Gateway's, not the functions', and is
 * not what this suite checks: those routes are called unsigned. The routes are read per request: the server listens
 * before the stack is synthesized, since the stack's settings name its URL.
 */
export async function serveHttpApi(
  routes: () => readonly RouteSpec[],
  invoke: (functionLogicalId: string, event: unknown) => Promise<unknown>,
): Promise<Served> {
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const target = new URL(request.url ?? '/', 'http://api');
      for (const route of routes()) {
        const [method = '', path = ''] = route.routeKey.split(' ');
        const parameters = request.method === method ? matchPath(path, target.pathname) : undefined;
        if (!parameters) continue;
        const event = toApiGatewayEvent({
          method,
          rawPath: target.pathname,
          rawQueryString: target.search.slice(1),
          headers: request.headers,
          body,
          routeKey: route.routeKey,
          pathParameters: parameters,
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        });
        try {
          return writeResult(response, httpResult.parse(await invoke(route.functionLogicalId, event)));
        } catch {
          // What API Gateway answers when the integration fails.
          return writeResult(response, { statusCode: 500, body: '{"message":"Internal Server Error"}' });
        }
      }
      writeResult(response, { statusCode: 404, body: '{"message":"Not Found"}' });
    })();
  });
  const url = await listen(server);
  return { url, stop: closer(server) };
}

/**
 * A Lambda function URL as the template builds it: every method and path to its one function, as the route
 * `$default` (payload format 2.0, `rawPath` and `requestContext.http.method` as sent), with no authorization (the
 * template's `AuthType` is checked by the infra tests). The function is read per request, as for the API.
 */
export async function serveFunctionUrl(
  functionLogicalId: () => string | undefined,
  invoke: (functionLogicalId: string, event: unknown) => Promise<unknown>,
): Promise<Served> {
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const target = new URL(request.url ?? '/', 'http://function-url');
      const logicalId = functionLogicalId();
      if (!logicalId) return writeResult(response, { statusCode: 404, body: '{"message":"Not Found"}' });
      const event = toApiGatewayEvent({
        method: request.method ?? 'GET',
        rawPath: target.pathname,
        rawQueryString: target.search.slice(1),
        headers: request.headers,
        body,
        routeKey: '$default',
        pathParameters: {},
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      });
      try {
        writeResult(response, httpResult.parse(await invoke(logicalId, event)));
      } catch {
        // What a function URL answers when the function fails.
        writeResult(response, { statusCode: 502, body: 'Internal Server Error' });
      }
    })();
  });
  const url = await listen(server);
  return { url, stop: closer(server) };
}

/** The TikTok Shop sandbox on a port of its own, at its root: its authorize page, token and shop APIs. */
export async function serveSandbox(sandbox: () => TikTokSandbox): Promise<Served> {
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const path = new URL(request.url ?? '/', 'http://sandbox').pathname;
      await sandbox().handle(request, response, path, body);
    })();
  });
  const url = await listen(server);
  return { url, stop: closer(server) };
}

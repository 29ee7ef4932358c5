import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { createAuthorizationLink, type LinkSettings, MARKETS } from '../domain/authorization-links';
import { GRANT_STATUSES } from '../domain/model';
import { claimInstallation, describeSeller, disconnectSeller, listSellers } from '../domain/sellers';
import { awsBaseDependencies, type BaseDependencies } from '../shared/aws-dependencies';
import { linkSettings } from '../shared/config';
import {
  describeInvalid,
  empty,
  type HttpResult,
  json,
  jsonErrors,
  parseJsonBody,
  RequestValidationError,
} from '../shared/http';
import { once } from '../shared/once';
import { logger } from '../shared/powertools';
import { trimmed } from '../shared/schemas';
import { budgeted } from '../shared/time-budget';

export type SellerApiDependencies = BaseDependencies & { readonly settings: LinkSettings };

const accountId = trimmed(1, 256);
/** A path of the app (not another site): where the seller lands after authorizing. */
const returnTo = z
  .string()
  .check(z.maxLength(2048), z.regex(/^\/(?![/\\])[^\s]*$/, 'must be a path of the app, starting with a single /'));
const pathId = trimmed(1, 128);
const linkBody = z.strictObject({
  accountId,
  returnTo: z.optional(returnTo),
  openId: z.optional(pathId),
  market: z.optional(z.enum(MARKETS)),
});
const claimBody = z.strictObject({ ticket: trimmed(1, 512), accountId });
const listQuery = z.strictObject({
  status: z.optional(z.enum(GRANT_STATUSES)),
  cursor: z.optional(z.string().check(z.maxLength(2048))),
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 50),
});

function pathParameter(event: APIGatewayProxyEventV2, name: string): string {
  const parsed = pathId.safeParse(event.pathParameters?.[name]);
  if (!parsed.success) throw new RequestValidationError(`${name}: must be 1 to 128 characters`);
  return parsed.data;
}

/** The app's internal routes about sellers: links, App Store claims, a seller's view, disconnecting. */
export function createSellerApiHandler(dependencies: () => SellerApiDependencies) {
  return middy<APIGatewayProxyEventV2, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(jsonErrors(logger))
    .handler(
      budgeted('seller-api', async (event: APIGatewayProxyEventV2) => {
        const deps = dependencies();
        switch (event.routeKey) {
          case 'POST /authorization-links': {
            const link = await createAuthorizationLink(parseJsonBody(event, linkBody), deps, deps.settings);
            return json(201, { url: link.url, expiresAt: link.expiresAt.toISOString() });
          }
          case 'POST /installations/claim':
            return json(200, await claimInstallation(parseJsonBody(event, claimBody), deps));
          case 'GET /sellers': {
            const query = listQuery.safeParse(event.queryStringParameters ?? {});
            if (!query.success) throw new RequestValidationError(describeInvalid(query.error));
            const page = await listSellers(query.data, deps);
            return json(200, {
              sellers: page.items.map((seller) => ({
                ...seller,
                accessTokenExpiresAt: seller.accessTokenExpiresAt.toISOString(),
                authorizationExpiresAt: seller.authorizationExpiresAt.toISOString(),
              })),
              ...(page.cursor ? { cursor: page.cursor } : {}),
            });
          }
          case 'GET /sellers/{openId}': {
            const seller = await describeSeller(pathParameter(event, 'openId'), deps);
            return json(200, {
              ...seller,
              accessTokenExpiresAt: seller.accessTokenExpiresAt.toISOString(),
              authorizationExpiresAt: seller.authorizationExpiresAt.toISOString(),
            });
          }
          case 'DELETE /sellers/{openId}':
            await disconnectSeller(pathParameter(event, 'openId'), deps);
            return empty(204);
          default:
            return json(404, { error: { code: 'ROUTE_NOT_FOUND', message: `no route ${event.routeKey}` } });
        }
      }),
    );
}

export const handler = createSellerApiHandler(
  once(() => ({ ...awsBaseDependencies(), settings: linkSettings(process.env) })),
);

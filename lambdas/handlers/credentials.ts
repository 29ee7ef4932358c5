import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type CredentialsSettings, getShopCredentials, refreshSellerNow } from '../domain/credentials';
import type { Dependencies } from '../domain/dependencies';
import { awsDependencies } from '../shared/aws-dependencies';
import { CREDENTIALS_SETTINGS } from '../shared/config';
import { type HttpResult, json, jsonErrors, RequestValidationError } from '../shared/http';
import { once } from '../shared/once';
import { logger } from '../shared/powertools';
import { trimmed } from '../shared/schemas';
import { budgeted } from '../shared/time-budget';

export type CredentialsDependencies = Dependencies & { readonly settings: CredentialsSettings };

const pathId = trimmed(1, 128);

/**
 * GET /shops/{shopId}/credentials, the one route whose answer carries a token; and POST /sellers/{openId}/refresh,
 * an operator's refresh now (its answer carries none).
 */
export function createCredentialsHandler(dependencies: () => CredentialsDependencies) {
  return middy<APIGatewayProxyEventV2, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(jsonErrors(logger))
    .handler(
      budgeted('credentials', async (event: APIGatewayProxyEventV2) => {
        const deps = dependencies();
        if (event.routeKey === 'POST /sellers/{openId}/refresh') {
          const openId = pathId.safeParse(event.pathParameters?.openId);
          if (!openId.success) throw new RequestValidationError('openId: must be 1 to 128 characters');
          const result = await refreshSellerNow(openId.data, deps, deps.settings);
          deps.log.info('seller refreshed on request', { openId: result.openId, refreshed: result.refreshed });
          return json(200, {
            ...result,
            accessTokenExpiresAt: result.accessTokenExpiresAt.toISOString(),
            authorizationExpiresAt: result.authorizationExpiresAt.toISOString(),
          });
        }
        const id = pathId.safeParse(event.pathParameters?.shopId);
        if (!id.success) throw new RequestValidationError('shopId: must be 1 to 128 characters');
        const credentials = await getShopCredentials(id.data, deps, deps.settings);
        // DEBUG: the hottest route; a line per read would be most of its cost.
        deps.log.debug('credentials handed out', { shopId: credentials.shopId, openId: credentials.openId });
        return json(200, { ...credentials, accessTokenExpiresAt: credentials.accessTokenExpiresAt.toISOString() });
      }),
    );
}

export const handler = createCredentialsHandler(once(() => ({ ...awsDependencies(), settings: CREDENTIALS_SETTINGS })));

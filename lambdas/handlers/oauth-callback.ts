import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { type CallbackSettings, completeAuthorization } from '../domain/authorize-seller';
import type { Dependencies } from '../domain/dependencies';
import {
  AuthorizationDeniedError,
  NoAuthorizedShopsError,
  OneTimeValueRejectedError,
  TikTokAppCredentialsError,
  TikTokReauthorizationRequiredError,
  TikTokRetryLaterError,
  TikTokSuspectRefusalError,
  TimeBudgetExhaustedError,
  UnsupportedUserTypeError,
  WrongSellerError,
} from '../domain/errors';
import { awsDependencies } from '../shared/aws-dependencies';
import { type RedirectSettings, redirectSettings } from '../shared/config';
import { errorResponse, type HttpResult, json, parseJsonBody } from '../shared/http';
import { once } from '../shared/once';
import { renderPage } from '../shared/pages';
import { logger, metrics } from '../shared/powertools';
import { trimmed } from '../shared/schemas';
import { budgeted } from '../shared/time-budget';

export type OAuthCallbackDependencies = Dependencies & { readonly settings: RedirectSettings & CallbackSettings };

const bounded = (max: number) => z.optional(z.string().check(z.maxLength(max)));
const callbackQuery = z.object({
  code: bounded(2048),
  state: bounded(512),
  error: bounded(256),
  shop_region: bounded(16),
});

interface Failure {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly message: string;
}

const START_AGAIN = 'Please start again from the app.';

/** What the seller is told, by what went wrong. Nothing internal, and never the code or the state. */
function describeFailure(error: unknown): Failure {
  if (error instanceof AuthorizationDeniedError) {
    return {
      status: 400,
      code: 'AUTHORIZATION_DENIED',
      title: 'Authorization not granted',
      message: `The app was not authorized. ${START_AGAIN}`,
    };
  }
  if (error instanceof OneTimeValueRejectedError) {
    const why = { unknown: 'is not valid', expired: 'has expired', used: 'was already used' }[error.reason];
    return {
      status: 400,
      code: `STATE_${error.reason.toUpperCase()}`,
      title: 'This link cannot be used',
      message: `This authorization link ${why}. ${START_AGAIN}`,
    };
  }
  if (error instanceof UnsupportedUserTypeError) {
    return {
      status: 400,
      code: 'NOT_A_SELLER',
      title: 'Seller account needed',
      message: 'Only TikTok Shop seller accounts can connect to this app.',
    };
  }
  if (error instanceof NoAuthorizedShopsError) {
    return {
      status: 400,
      code: 'NO_SHOPS',
      title: 'No shop to connect',
      message:
        'TikTok Shop lists no shop for this seller account, so nothing was connected. ' +
        'Once your shop is open in Seller Center, start again from the app.',
    };
  }
  if (error instanceof WrongSellerError) {
    return {
      status: 403,
      code: 'WRONG_SELLER',
      title: 'This link is for another seller',
      message:
        'This authorization link was made for a different TikTok Shop seller account, so nothing was connected. ' +
        'Sign in to TikTok Shop as the seller the link was sent to, or ask the app for a new link.',
    };
  }
  // A code TikTok calls used, expired or unknown (a reloaded page, a link followed twice): the seller's to redo.
  if (error instanceof TikTokReauthorizationRequiredError) {
    return {
      status: 400,
      code: 'CODE_REFUSED',
      title: 'TikTok did not accept the authorization',
      message: `This authorization was already used or has expired. ${START_AGAIN}`,
    };
  }
  // Refused for a reason TikTok does not document: it may be the app's secret, so it is the service's failure.
  if (error instanceof TikTokSuspectRefusalError) {
    return {
      status: 502,
      code: 'CODE_REFUSED',
      title: 'TikTok did not accept the authorization',
      message: `The authorization could not be completed. ${START_AGAIN}`,
    };
  }
  if (
    error instanceof TikTokRetryLaterError ||
    error instanceof TikTokAppCredentialsError ||
    error instanceof TimeBudgetExhaustedError
  ) {
    return {
      status: 502,
      code: 'TIKTOK_UNAVAILABLE',
      title: 'TikTok Shop is not responding',
      message: `We could not reach TikTok Shop to complete the authorization. ${START_AGAIN}`,
    };
  }
  return {
    status: 500,
    code: 'INTERNAL',
    title: 'Something went wrong',
    message: `The authorization could not be completed. ${START_AGAIN}`,
  };
}

/**
 * Counts a code TikTok refused. A code without a state is an App Store install, which anyone can make up, and each
 * costs a call to TikTok's token endpoint with the app's credentials: counted apart, so a flood of them is alarmed.
 */
function countRefusedCode(state: string | undefined): void {
  metrics.addMetric('CallbackCodeRefused', MetricUnit.Count, 1);
  if (!state?.trim()) metrics.addMetric('CallbackCodeRefusedWithoutState', MetricUnit.Count, 1);
}

const exchangeBody = z.strictObject({ code: trimmed(1, 2048), accountId: trimmed(1, 256) });

/**
 * POST /authorizations/exchange (IAM): an auth code exchanged by hand, for development shops, which skip the link
 * (protocol section 1). The seller is bound to the given account at once: the caller is trusted (IAM).
 */
async function exchangeByHand(event: APIGatewayProxyEventV2, deps: OAuthCallbackDependencies): Promise<HttpResult> {
  try {
    const body = parseJsonBody(event, exchangeBody);
    const outcome = await completeAuthorization({ code: body.code, accountId: body.accountId }, deps, deps.settings);
    deps.log.info('auth code exchanged by hand', { openId: outcome.openId });
    // With an account given, the outcome is always an authorized seller bound to it.
    return json(201, {
      openId: outcome.openId,
      accountId: body.accountId,
      reauthorization: outcome.kind === 'authorized' && outcome.reauthorization,
    });
  } catch (error) {
    const response = errorResponse(error);
    if ((response.statusCode ?? 500) >= 500)
      deps.log.error('exchange by hand failed', { error: error instanceof Error ? error.message : 'unknown' });
    return response;
  }
}

function withQuery(base: string, parameters: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(parameters)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

const redirect = (location: string): HttpResult => ({
  statusCode: 302,
  headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
  body: '',
});

const page = (status: number, html: string): HttpResult => ({
  statusCode: status,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  },
  body: html,
});

/** GET /oauth/callback: TikTok sends the seller's browser here after the authorize page. */
export function createOAuthCallbackHandler(dependencies: () => OAuthCallbackDependencies) {
  return middy<APIGatewayProxyEventV2, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(
      budgeted('oauth-callback', async (event: APIGatewayProxyEventV2) => {
        const deps = dependencies();
        if (event.routeKey === 'POST /authorizations/exchange') return exchangeByHand(event, deps);
        const fail = (failure: Failure): HttpResult => {
          const html = renderPage({ title: failure.title, message: failure.message, code: failure.code });
          if (deps.settings.errorUrl) {
            return { ...redirect(withQuery(deps.settings.errorUrl, { error: failure.code })), body: html };
          }
          return page(failure.status, html);
        };

        const query = callbackQuery.safeParse(event.queryStringParameters ?? {});
        if (!query.success) {
          deps.log.info('callback refused: malformed query');
          return fail({
            status: 400,
            code: 'MALFORMED_CALLBACK',
            title: 'This link cannot be used',
            message: `The authorization link is malformed. ${START_AGAIN}`,
          });
        }
        try {
          const outcome = await completeAuthorization(query.data, deps, deps.settings);
          deps.log.info('seller authorized', { openId: outcome.openId, outcome: outcome.kind });
          return outcome.kind === 'authorized'
            ? redirect(
                withQuery(deps.settings.successUrl, {
                  openId: outcome.openId,
                  accountId: outcome.accountId,
                  returnTo: outcome.returnTo,
                }),
              )
            : redirect(withQuery(deps.settings.claimUrl, { ticket: outcome.ticket }));
        } catch (error) {
          if (error instanceof TikTokReauthorizationRequiredError || error instanceof TikTokSuspectRefusalError) {
            countRefusedCode(query.data.state);
          }
          const failure = describeFailure(error);
          const details = { failure: failure.code, error: error instanceof Error ? error.message : 'unknown' };
          if (failure.status >= 500) deps.log.error('callback failed', details);
          else deps.log.info('callback refused', details);
          return fail(failure);
        }
      }),
    );
}

export const handler = createOAuthCallbackHandler(
  once(() => ({ ...awsDependencies(), settings: redirectSettings(process.env) })),
);

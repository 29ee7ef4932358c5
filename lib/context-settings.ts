import { RemovalPolicy } from 'aws-cdk-lib';
import * as z from 'zod';
import { MARKETS } from '../lambdas/domain/markets';
import { throttleProblems } from './constructs/service-api';
import { WEBHOOK_THROTTLE_REMOVED } from './tiktok-shop-auth';
import type { TikTokShopAuthStackProps } from './tiktok-shop-auth-stack';

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
// Their bounds, and a burst at least the rate, are ServiceApi's own checks (applied below), written once.
const limit = z.coerce.number({ error: 'must be a number of requests' }).optional();
const throttleSchema = z.object({
  callbackRateLimit: limit,
  callbackBurstLimit: limit,
  internalRateLimit: limit,
  internalBurstLimit: limit,
});

/** What `cdk deploy -c key=value` (or cdk.json's context) may set, checked before anything is built. */
const contextSchema = z.object({
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/)
    .default('TikTokShopAuth'),
  serviceId: z.string().trim().min(1, 'required: the service id from Partner Center'),
  market: z.enum(MARKETS).optional(),
  // Named so that a deploy that still sets it is refused rather than quietly going back to the preset.
  authorizeUrl: z
    .undefined({ error: 'replaced by authorizeUrlRow and authorizeUrlUs (one authorize page per market)' })
    .optional(),
  authorizeUrlRow: url.optional(),
  authorizeUrlUs: url.optional(),
  successUrl: url,
  claimUrl: url,
  errorUrl: url.optional(),
  tiktokAuthBaseUrl: url.optional(),
  tiktokApiBaseUrl: url.optional(),
  reminderMilestones: z
    .string()
    .regex(/^\d{1,3}(,\d{1,3})*$/, 'days before the end, comma-separated, e.g. 30,7,1')
    .transform((text) => text.split(',').map(Number))
    .optional(),
  reminderEmail: z.email().optional(),
  alarmEmail: z.email().optional(),
  refreshAheadHours: z.coerce.number().int().min(1).max(144).optional(),
  refreshConcurrency: z.coerce.number().int().min(2).max(50).optional(),
  webhookConcurrency: z.coerce
    .number({ error: 'must be a whole number from 1' })
    .int('must be a whole number from 1')
    .min(1, 'must be a whole number from 1')
    .optional(),
  webhookEndpoint: z
    .enum(['function-url', 'http-api'], {
      error: "'function-url' (the default) or 'http-api' (regions without function URLs)",
    })
    .optional(),
  // Named so that a deploy that still sets them is refused rather than quietly losing its webhook limits.
  webhookRateLimit: z.undefined({ error: WEBHOOK_THROTTLE_REMOVED }).optional(),
  webhookBurstLimit: z.undefined({ error: WEBHOOK_THROTTLE_REMOVED }).optional(),
  appSecretName: z.string().trim().min(1).optional(),
  removalPolicy: z
    .enum(['retain', 'destroy'], { error: 'retain (the default) or destroy (a short-lived environment)' })
    .transform((policy) => (policy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN))
    .optional(),
  eventBusName: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,256}$/)
    .optional(),
  ...throttleSchema.shape,
});

export const CONTEXT_KEYS = Object.keys(contextSchema.shape);

// Runs even when other keys are wrong, so one message names them all; a limit that is not a number is named already.
const checkedContextSchema = contextSchema.superRefine(
  (context, ctx) => {
    const numbers = Object.fromEntries(
      throttleSchema
        .keyof()
        .options.map((key) => [key, context[key]])
        .filter(([, value]) => typeof value === 'number' && !Number.isNaN(value)),
    );
    for (const { key, message } of throttleProblems(numbers)) ctx.addIssue({ code: 'custom', path: [key], message });
  },
  { when: () => true },
);

/** The stack's name and props from the CDK context; a clear error naming each wrong or missing key. */
export function stackSettingsFromContext(tryGetContext: (key: string) => unknown): {
  stackName: string;
  props: Omit<TikTokShopAuthStackProps, 'env'>;
} {
  const raw = Object.fromEntries(
    CONTEXT_KEYS.map((key) => [key, tryGetContext(key)]).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = checkedContextSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `-c ${issue.path.join('.')}: ${issue.message}`).join('\n  ');
    throw new Error(`tiktok-shop-auth needs its settings as CDK context:\n  ${problems}`);
  }
  const {
    stackName,
    authorizeUrl: _replaced,
    webhookRateLimit: _removedRate,
    webhookBurstLimit: _removedBurst,
    ...props
  } = parsed.data;
  return { stackName, props };
}

import { Logger } from '@aws-lambda-powertools/logger';
import { redactingReplacer } from './redact';

/** What code outside the handlers needs of a logger; Powertools' Logger satisfies it. */
export interface Log {
  debug(message: string, ...extra: Array<Record<string, unknown>>): void;
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

/** The one place that creates loggers: every log line goes through the redacting replacer. */
export function createLogger(serviceName = 'tiktok-shop-auth'): Logger {
  return new Logger({ serviceName, jsonReplacerFn: redactingReplacer });
}

/** A logger that drops everything, for code whose caller does not care. */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

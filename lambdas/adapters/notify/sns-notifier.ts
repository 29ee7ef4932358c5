import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notifier } from '../../ports';

/** The subject sent when nothing of the given one can be: SNS refuses a publish without a valid subject. */
export const FALLBACK_SUBJECT = 'tiktok-shop-auth notification';

const MAX_SUBJECT_LENGTH = 99;

/**
 * A subject SNS accepts, from any text: fewer than 100 characters of printable ASCII, starting with a letter, a
 * digit or a punctuation mark, no line breaks or control characters. Seller names may be Chinese or hold emoji, and
 * SNS refuses the whole publish over the subject, so nothing is transliterated: line breaks and other spaces become
 * one space, each run of anything else one `?`, and a long subject is cut with `...`. The message keeps it all.
 */
export function snsSubject(subject: string): string {
  const ascii = subject
    .replace(/[\s\p{Cc}]+/gu, ' ')
    .replace(/[^\x20-\x7E]+/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  const cut = ascii.length > MAX_SUBJECT_LENGTH ? `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3).trimEnd()}...` : ascii;
  return /[A-Za-z0-9]/.test(cut) ? cut : FALLBACK_SUBJECT;
}

/** Messages for people on an SNS topic (e-mail subscriptions, chat integrations). */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: Pick<SNSClient, 'send'>,
    private readonly topicArn: string,
  ) {}

  async notify(subject: string, message: string): Promise<void> {
    await this.client.send(
      new PublishCommand({ TopicArn: this.topicArn, Subject: snsSubject(subject), Message: message }),
    );
  }
}
